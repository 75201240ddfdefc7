import { Hono } from "hono";
import { OPENAPI_PATH } from "../../admin/access";
import { openApiDocument } from "../../admin/openapi/document";
import { authorize, type DashboardEnv, requireSession } from "../context";
import { ApiReferencePage } from "./api";

/**
 * The admin API's reference page, and its OpenAPI document for download (a browser signed in to
 * the dashboard holds a session, not a bearer key). Both are what `GET /v1/openapi.json` answers,
 * so the same rule applies: any signed-in key. Mounted by `routes.tsx`, behind the session.
 */
export const apiPageRoutes = new Hono<DashboardEnv>()
  .get("/api", (c) => {
    const session = requireSession(c);
    authorize(session.principal, "GET", OPENAPI_PATH);
    return c.html(<ApiReferencePage principal={session.principal} csrf={session.csrf} document={openApiDocument()} />);
  })
  .get("/api/openapi.json", (c) => {
    authorize(requireSession(c).principal, "GET", OPENAPI_PATH);
    return c.json(openApiDocument());
  });
