/**
 * A viewer never acts: every state-changing route the dashboard registers (each POST but signing
 * in and out, enumerated from the app, so a new form cannot be missed) refuses a viewer's session
 * with and without the CSRF token, and nothing changes.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { admin, createAgent } from "../support/agents";
import { createKey, csrfOf, page, SAME_ORIGIN, signIn } from "./support";

/** The dashboard's POST routes, with their parameters filled in for an agent. */
function actions(agentId: string): string[] {
  const paths = createApp()
    .routes.filter((r) => r.method === "POST" && r.path.startsWith("/dashboard/"))
    .map((r) => r.path)
    .filter((p) => p !== "/dashboard/sign-in" && p !== "/dashboard/sign-out" && !p.endsWith("/*"));
  return [...new Set(paths)].map((p) =>
    p
      .replace(":agentId", agentId)
      .replace(/:action\{[^}]+\}/, "approve")
      .replace(/:[A-Za-z]+(\{[^}]*\})?/g, "some-id"),
  );
}

describe("a viewer in the dashboard", () => {
  it("is refused every action the dashboard has, with and without the CSRF token", async () => {
    const agentId = await createAgent({});
    const { key } = await createKey({ role: "viewer" });
    const { cookie } = await signIn(key);
    const csrf = csrfOf(await (await page(`/dashboard/agents/${agentId}`, { cookie })).text());
    const before = (await (await admin(`/v1/agents/${agentId}`)).json()) as { version: number };
    const paths = actions(agentId);
    // Every page area's forms: agents (new, edit, delete), trust, approvals, learning, alerts, dead letters.
    expect(paths.length).toBeGreaterThanOrEqual(10);
    for (const path of paths) {
      for (const token of [csrf, null]) {
        const form: Record<string, string> = { decision: "approve", action: "freeze", reason: "x", note: "x", confirm: agentId, id: `${agentId}-2`, name: "x" };
        if (token) form._csrf = token;
        const res = await page(path, { cookie, form, headers: { ...SAME_ORIGIN, "cf-connecting-ip": "192.0.2.9" } });
        expect(res.status, `${path} ${token ? "with" : "without"} the token`).toBe(403);
      }
    }
    const after = (await (await admin(`/v1/agents/${agentId}`)).json()) as { version: number };
    expect(after.version).toBe(before.version);
    expect((await admin(`/v1/agents/${agentId}-2`)).status).toBe(404);
  });
});
