import { describe, expect, it } from "vitest";
import { admin } from "../support/agents";
import { createKey, page, signIn } from "./support";

/** `METHOD path` of every operation of an OpenAPI document. */
function operationsOf(doc: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

describe("dashboard: the admin API reference", () => {
  it("shows every operation of GET /v1/openapi.json to a viewer, with no inline script or style", async () => {
    const served = (await (await admin("/v1/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const { key } = await createKey({ role: "viewer", name: "reads the reference" });
    const { cookie } = await signIn(key);
    const res = await page("/dashboard/api", { cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/<style|https?:\/\/(?!foreman\.test)/);
    const shown = [...html.matchAll(/data-testid="operation" data-method="([A-Z]+)" data-path="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`).sort();
    expect(shown).toEqual(operationsOf(served));
    // A body's fields, their types and whether they are required, from the same document.
    const put = html.slice(html.indexOf('data-path="/v1/agents/{agentId}/legal-hold"'));
    expect(put).toMatch(/data-field="reason"><code>reason<\/code> <span class="muted">string \(not empty, at most 500 characters\)<\/span> <span class="badge">required<\/span>/);
  });

  it("offers the document for download to a signed-in key, and to no one else", async () => {
    const { cookie } = await signIn();
    const res = await page("/dashboard/api/openapi.json", { cookie });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(await (await admin("/v1/openapi.json")).json());
    const anonymous = await page("/dashboard/api/openapi.json");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/dashboard/sign-in");
    expect((await page("/dashboard/api")).status).toBe(303);
  });
});
