/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createApp } from "../../src/app";
import { agentConfigSchema } from "../../src/config";
import readme from "../../README.md?raw";
import {
  callableRoutes,
  configPaths,
  pageAnchors,
  relativeLinks,
  resolveLink,
  undocumentedConfigPaths,
  undocumentedRoutes,
} from "./coverage";

/**
 * The reference lives in docs/: every field of the agent config is in docs/configuration.md and
 * every route the worker serves is on some page. A field or route added without its line fails
 * here, naming what to document.
 */

// Pages by their repository path ("docs/cost.md"), read at build time.
const PAGES: Record<string, string> = {
  "README.md": readme,
  ...Object.fromEntries(
    Object.entries(import.meta.glob<string>("../../docs/**/*.md", { query: "?raw", import: "default", eager: true })).map(
      ([path, text]) => [path.replace(/^\.\.\/\.\.\//, ""), text],
    ),
  ),
};
// Every file under docs/ (screenshots too), for links; nothing is loaded.
const DOC_FILES = new Set(Object.keys(import.meta.glob("../../docs/**/*")).map((p) => p.replace(/^\.\.\/\.\.\//, "")));

/**
 * Pages written with the package (issue 14) that may land after this test: a link to one is not
 * an error while it is absent, and is checked like any other once it is there. Empty this set then.
 */
const ARRIVING = new Set<string>();

const docsPages = () => Object.entries(PAGES).filter(([path]) => path.startsWith("docs/")).map(([, text]) => text);
const configuration = () => PAGES["docs/configuration.md"] ?? "";

describe("docs/configuration.md", () => {
  const paths = configPaths(agentConfigSchema);

  it("names every field of the agent config, nested ones by their full path", () => {
    expect(paths).toContain("optimization.budget.alertThreshold");
    expect(paths).toContain("trust.rules[].metric");
    expect(paths).toContain("channels[].smtp.from");
    expect(undocumentedConfigPaths(paths, configuration())).toEqual([]);
  });

  it("notices a field that is missing", () => {
    const without = configuration().replaceAll("`optimization.budget.alertThreshold`", "the threshold");
    expect(undocumentedConfigPaths(paths, without)).toEqual(["optimization.budget.alertThreshold"]);
  });

  it("walks objects, arrays, records and unions into field paths", () => {
    const schema = z.strictObject({
      a: z.strictObject({ b: z.number().default(1) }).prefault({}),
      list: z.array(z.union([z.strictObject({ x: z.string() }), z.strictObject({ y: z.string() })])).optional(),
      servers: z.record(z.string(), z.strictObject({ url: z.string() })),
    });
    expect(configPaths(schema)).toEqual(["a", "a.b", "list", "list[].x", "list[].y", "servers", "servers.<name>.url"]);
  });
});

describe("routes in docs/", () => {
  const routes = callableRoutes(createApp().routes);

  it("names every route the worker serves as METHOD /path", () => {
    expect(routes).toContain("GET /");
    expect(routes).toContain("POST /webhooks/:agentId/http");
    expect(routes).toContain("GET /v1/agents/:agentId/budget");
    expect(routes).toContain("GET /dashboard/agents/:agentId/learning");
    expect(undocumentedRoutes(routes, docsPages())).toEqual([]);
  });

  it("notices a route that is missing, and does not take a longer route for it", () => {
    // Every mention of the agent listing, in any spelling (`GET /v1/agents?limit=50`), but not the longer routes.
    const without = docsPages().map((page) => page.replace(/GET \/v1\/agents(?![\w/:.{-])/g, "the agent list"));
    expect(undocumentedRoutes(["GET /v1/agents", "GET /v1/agents/:agentId"], docsPages())).toEqual([]);
    expect(undocumentedRoutes(["GET /v1/agents", "GET /v1/agents/:agentId"], without)).toEqual(["GET /v1/agents"]);
    expect(undocumentedRoutes(["GET /v1/agents"], ["`GET /v1/agents/:agentId`"])).toEqual(["GET /v1/agents"]);
    expect(undocumentedRoutes(["GET /v1/agents"], ["`GET /v1/agents?limit=50`"])).toEqual([]);
  });

  it("accepts Hono's alternatives as written, or each spelt out", () => {
    const route = "POST /p/:id/:action{approve|reject}";
    expect(undocumentedRoutes([route], ["`POST /p/:id/approve\\|reject`"])).toEqual([]);
    expect(undocumentedRoutes([route], ["`POST /p/:id/approve`, `POST /p/:id/reject`"])).toEqual([]);
    expect(undocumentedRoutes([route], ["`POST /p/:id/approve`"])).toEqual([route]);
  });
});

describe("links between pages", () => {
  it("point at pages and headings that exist", () => {
    const broken: string[] = [];
    for (const [from, text] of Object.entries(PAGES)) {
      for (const link of relativeLinks(text)) {
        const [target = "", anchor] = link.split("#");
        const file = target === "" ? from : resolveLink(from, target);
        // Links out of docs/ (to source files) are not checked here.
        if (!file.startsWith("docs/") && file !== "README.md") continue;
        const page = PAGES[file];
        if (page === undefined && !DOC_FILES.has(file) && !ARRIVING.has(file)) broken.push(`${from}: ${link} (no such file)`);
        else if (anchor && page !== undefined && !pageAnchors(page).has(anchor)) broken.push(`${from}: ${link} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
