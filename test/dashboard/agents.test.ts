import { describe, expect, it } from "vitest";
import { admin, createAgent, putAgent, uniqueAgentId } from "../support/agents";
import { flushedSql } from "../support/audit";
import { createKey, csrfOf, page, signIn } from "./support";

interface AgentJson {
  agentId: string;
  version: number;
  config: Record<string, unknown>;
  systemPrompt: string;
  model: string;
  secrets: string[];
  warnings?: Array<{ path: string; message: string }>;
}

const SECTIONS = ["channels", "trust", "tools", "optimization", "learning", "messageHandling", "audit"] as const;

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** The text of a textarea by name, as the browser would submit it. */
function textarea(html: string, name: string): string {
  const match = new RegExp(`<textarea[^>]* name="${name}"[^>]*>([^]*?)</textarea>`).exec(html);
  if (!match) throw new Error(`no textarea ${name}`);
  return unescape(match[1]!);
}

/** The value attribute of an input by name. */
function input(html: string, name: string): string {
  const match = new RegExp(`<input [^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no input ${name}`);
  return unescape(match[1]!);
}

/** The problems shown beside a field. */
function fieldErrors(html: string, field: string): string[] {
  const match = new RegExp(`<ul[^>]*data-field-errors="${field}"[^>]*>([^]*?)</ul>`).exec(html);
  return match ? [...match[1]!.matchAll(/<li>([^]*?)<\/li>/g)].map((m) => unescape(m[1]!)) : [];
}

/** Every field of the form as the page shows it: what a browser posts back when nothing is changed. */
function formOf(html: string): Record<string, string> {
  const form: Record<string, string> = { _csrf: csrfOf(html), name: input(html, "name"), model: input(html, "model"), maxTokens: input(html, "maxTokens"), systemPrompt: textarea(html, "systemPrompt") };
  for (const section of SECTIONS) form[section] = textarea(html, section);
  const version = /name="version" value="(\d+)"/.exec(html);
  if (version) form.version = version[1]!;
  return form;
}

async function agentJson(agentId: string): Promise<AgentJson | null> {
  const res = await admin(`/v1/agents/${agentId}`);
  return res.status === 404 ? null : ((await res.json()) as AgentJson);
}

async function adminSession() {
  const { key, id } = await createKey({ role: "admin" });
  const { cookie } = await signIn(key);
  return { cookie, keyId: id };
}

async function newForm(cookie: string): Promise<Record<string, string>> {
  const res = await page("/dashboard/agents/new", { cookie });
  expect(res.status).toBe(200);
  return formOf(await res.text());
}

async function editForm(cookie: string, agentId: string): Promise<{ html: string; form: Record<string, string> }> {
  const res = await page(`/dashboard/agents/${agentId}/edit`, { cookie });
  expect(res.status).toBe(200);
  const html = await res.text();
  return { html, form: formOf(html) };
}

describe("dashboard agent form: create and edit", () => {
  it("creates an agent through the PUT route's code: audited with the key's id, shown as the JSON API shows it", async () => {
    const { cookie, keyId } = await adminSession();
    const form = await newForm(cookie);
    // The new form starts from the schema's defaults.
    expect(JSON.parse(form.trust!)).toMatchObject({ initial: 0.3, minOutcomes: 20 });
    expect(form.channels).toBe("[]");
    const agentId = uniqueAgentId("dash-new");
    const trust = { ...JSON.parse(form.trust!), initial: 0.4 };
    const res = await page("/dashboard/agents/new", {
      cookie,
      form: { ...form, id: agentId, name: "Acme Bakery", systemPrompt: "You answer for Acme.\r\nBe brief.", trust: JSON.stringify(trust), secretName: "http", secretValue: "form-secret-value" },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/dashboard/agents/${agentId}`);

    const stored = (await agentJson(agentId))!;
    expect(stored).toMatchObject({ version: 1, systemPrompt: "You answer for Acme.\nBe brief.", secrets: ["http"] });
    expect(stored.config).toMatchObject({ name: "Acme Bakery", trust: { initial: 0.4 } });
    const [event] = await flushedSql<{ actor: string }>(agentId, "SELECT actor FROM audit_events WHERE agent_id = ? AND action = 'agent.created'");
    expect(event!.actor).toBe(`admin:${keyId}`);

    // The edit page shows what GET /v1/agents/:agentId answers, field by field; never the secret's value.
    const { html, form: shown } = await editForm(cookie, agentId);
    expect(html).not.toContain("form-secret-value");
    expect(html).toContain("Set now: http.");
    expect(Number(shown.version)).toBe(stored.version);
    expect(shown.name).toBe(stored.config.name);
    expect(shown.model).toBe(stored.model);
    expect(Number(shown.maxTokens)).toBe(stored.config.maxTokens);
    expect(shown.systemPrompt).toBe(stored.systemPrompt);
    for (const section of SECTIONS) expect(JSON.parse(shown[section]!), section).toEqual(stored.config[section]);
    expect((await agentJson(agentId))!.version).toBe(1);
  });

  it("edits an agent: a new version, audited as agent.updated with the key's id; the form saved unchanged keeps the config", async () => {
    const agentId = await createAgent({ name: "Shop", trust: { initial: 0.3 } });
    const before = (await agentJson(agentId))!;
    const { cookie, keyId } = await adminSession();
    const { form } = await editForm(cookie, agentId);
    const res = await page(`/dashboard/agents/${agentId}/edit`, { cookie, form: { ...form, name: "Shop two" } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/dashboard/agents/${agentId}`);
    const after = (await agentJson(agentId))!;
    expect(after.version).toBe(before.version + 1);
    expect(after.config).toEqual({ ...before.config, name: "Shop two", systemPrompt: before.systemPrompt });
    expect(after.secrets).toEqual(["http"]);
    const events = await flushedSql<{ actor: string }>(agentId, "SELECT actor FROM audit_events WHERE agent_id = ? AND action = 'agent.updated'");
    expect(events.map((e) => e.actor)).toEqual([`admin:${keyId}`]);
  });

  it("shows the config checks' warnings, the PUT route's own, after a save that has some", async () => {
    const { cookie } = await adminSession();
    const form = await newForm(cookie);
    const agentId = uniqueAgentId("dash-warn");
    const channels = JSON.stringify([{ type: "sms" }]);
    const res = await page("/dashboard/agents/new", { cookie, form: { ...form, id: agentId, channels } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/dashboard/agents/${agentId}/edit?saved`);
    const html = await (await page(res.headers.get("location")!, { cookie })).text();
    expect(html).toContain('data-testid="saved"');
    const shown = [...html.matchAll(/<li data-warning-path="([^"]+)">([^]*?)<\/li>/g)].map((m) => unescape(m[2]!));
    // The same config through the JSON API gets the same warnings.
    const twin = await putAgent(uniqueAgentId("dash-warn-json"), { config: { channels: [{ type: "sms" }] } });
    const expected = (twin.warnings as Array<{ path: string; message: string }>).map((w) => `${w.path}: ${w.message}`);
    expect(expected.length).toBeGreaterThan(0);
    expect(shown).toEqual(expected);
  });

  it("refuses a config with problems: each shown beside its field with its path, the form as typed, nothing saved", async () => {
    const { cookie } = await adminSession();
    const form = await newForm(cookie);
    const agentId = uniqueAgentId("dash-bad");
    const cases: Array<{ change: Record<string, string>; field: string; error: RegExp }> = [
      { change: { trust: '{\n  "initial": 0.3,\n  "minOutcomes": }' }, field: "trust", error: /^trust: not valid JSON at line 3, column 18: / },
      { change: { optimization: JSON.stringify({ budget: { daily: "fifty" } }) }, field: "optimization", error: /^optimization\.budget\.daily: expected number, received string$/ },
      { change: { trust: JSON.stringify({ rules: [{ metric: "success_rate", threshold: 0.9, action: "increment", amount: 2 }] }) }, field: "trust", error: /^trust\.rules\.0\.amount: / },
      { change: { model: "no-such-model-anywhere" }, field: "model", error: /^model: / },
      { change: { optimization: JSON.stringify({ cacheRules: [{ pattern: "(a+)+$", ttl: 60, response: "hi" }] }) }, field: "optimization", error: /^optimization\.cacheRules\.0\.pattern: must not repeat a part/ },
      { change: { maxTokens: "lots" }, field: "maxTokens", error: /^maxTokens: expected number, received string$/ },
      { change: { secretName: "not a name!", secretValue: "v" }, field: "secrets", error: /^secrets/ },
    ];
    for (const { change, field, error } of cases) {
      const res = await page("/dashboard/agents/new", { cookie, form: { ...form, id: agentId, ...change } });
      expect(res.status, field).toBe(422);
      const html = await res.text();
      const errors = fieldErrors(html, field);
      expect(errors.length, `${field}: ${html.match(/data-field-errors[^]*?<\/ul>/g)}`).toBeGreaterThan(0);
      expect(errors[0]).toMatch(error);
      // Re-shown as typed, the secret's value excepted.
      expect(input(html, "id")).toBe(agentId);
      for (const [name, value] of Object.entries(change)) {
        if (name === "secretValue") expect(html).not.toContain('value="v"');
        else if (name === "trust" || name === "optimization") expect(textarea(html, name)).toBe(value);
        else expect(input(html, name)).toBe(value);
      }
    }
    // Several problems at once: each beside its own field.
    const both = await (await page("/dashboard/agents/new", { cookie, form: { ...form, id: "bad id!", audit: "{", learning: "[1,]" } })).text();
    expect(fieldErrors(both, "id")[0]).toMatch(/^id: /);
    expect(fieldErrors(both, "audit")[0]).toMatch(/^audit: not valid JSON at line 1, column 2: /);
    expect(fieldErrors(both, "learning")[0]).toMatch(/^learning: not valid JSON at line 1, column 4: /);
    const taken = await page("/dashboard/agents/new", { cookie, form: { ...form, id: "new" } });
    expect(taken.status).toBe(422);
    expect(fieldErrors(await taken.text(), "id")[0]).toMatch(/^id: "new" is the address of this form/);
    expect(both).toMatch(/Not saved\. Problems in: <a href="#f-id">id<\/a>, <a href="#f-learning">learning<\/a>, <a href="#f-audit">audit<\/a>/);
    expect(await agentJson(agentId)).toBeNull();
    const listed = (await (await admin(`/v1/agents?limit=200&cursor=${agentId.slice(0, -1)}`)).json()) as { agents: Array<{ agentId: string }> };
    expect(listed.agents.map((a) => a.agentId)).not.toContain(agentId);
  });

  it("refuses a bad edit and leaves the agent as it was", async () => {
    const agentId = await createAgent({ trust: { initial: 0.3 } });
    const { cookie } = await adminSession();
    const { form } = await editForm(cookie, agentId);
    const res = await page(`/dashboard/agents/${agentId}/edit`, { cookie, form: { ...form, trust: JSON.stringify({ initial: 3 }) } });
    expect(res.status).toBe(422);
    expect(fieldErrors(await res.text(), "trust")).toEqual(["trust.initial: must be between 0 and 1"]);
    expect((await agentJson(agentId))!.version).toBe(1);
  });

  it("does not overwrite an agent whose id a new agent takes: the error is beside the id", async () => {
    const agentId = await createAgent({ name: "Original" });
    const { cookie } = await adminSession();
    const form = await newForm(cookie);
    const res = await page("/dashboard/agents/new", { cookie, form: { ...form, id: agentId, name: "Impostor" } });
    expect(res.status).toBe(409);
    expect(fieldErrors(await res.text(), "id")).toEqual([`id: agent "${agentId}" already exists: edit it, or choose another id`]);
    expect(await agentJson(agentId)).toMatchObject({ version: 1, config: { name: "Original" } });
  });

  it("refuses an edit made to a version that changed since the form was opened", async () => {
    const agentId = await createAgent({ name: "A" });
    const { cookie } = await adminSession();
    const { form } = await editForm(cookie, agentId);
    await putAgent(agentId, { config: { name: "B" } });
    const res = await page(`/dashboard/agents/${agentId}/edit`, { cookie, form: { ...form, name: "C" } });
    expect(res.status).toBe(409);
    expect(fieldErrors(await res.text(), "form")[0]).toContain("changed while this form was open (version 2 now, the form edited version 1)");
    expect(await agentJson(agentId)).toMatchObject({ version: 2, config: { name: "B" } });
  });

  it("answers 404 for the edit page of an unknown agent, and for saving one deleted meanwhile", async () => {
    const { cookie } = await adminSession();
    expect((await page(`/dashboard/agents/${uniqueAgentId("ghost")}/edit`, { cookie })).status).toBe(404);
    const agentId = await createAgent();
    const { form } = await editForm(cookie, agentId);
    expect((await admin(`/v1/agents/${agentId}`, { method: "DELETE" })).status).toBe(200);
    expect((await page(`/dashboard/agents/${agentId}/edit`, { cookie, form })).status).toBe(404);
    expect(await agentJson(agentId)).toBeNull();
  });

  it("refuses an oversize form (413) and saves nothing", async () => {
    const { cookie } = await adminSession();
    const form = await newForm(cookie);
    const agentId = uniqueAgentId("dash-big");
    const res = await page("/dashboard/agents/new", { cookie, form: { ...form, id: agentId, systemPrompt: "x".repeat(800 * 1024) } });
    expect(res.status).toBe(413);
    expect(await agentJson(agentId)).toBeNull();
  });
});

describe("dashboard agent form: delete", () => {
  it("deletes only with the agent's id typed, through the DELETE route's code", async () => {
    const agentId = await createAgent();
    const { cookie, keyId } = await adminSession();
    const { html } = await editForm(cookie, agentId);
    const csrf = csrfOf(html);
    for (const confirm of [undefined, "", "someone-else"]) {
      const res = await page(`/dashboard/agents/${agentId}/delete`, { cookie, form: { _csrf: csrf, ...(confirm === undefined ? {} : { confirm }) } });
      expect(res.status).toBe(422);
      expect(await res.text()).toContain(`confirm: type the agent&#39;s id, &quot;${agentId}&quot;, to delete it`);
    }
    expect(await agentJson(agentId)).not.toBeNull();
    const res = await page(`/dashboard/agents/${agentId}/delete`, { cookie, form: { _csrf: csrf, confirm: agentId } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/agents");
    expect(await agentJson(agentId)).toBeNull();
    const [event] = await flushedSql<{ actor: string }>(agentId, "SELECT actor FROM audit_events WHERE agent_id = ? AND action = 'agent.deleted'");
    expect(event!.actor).toBe(`admin:${keyId}`);
  });

  it("keeps an agent under legal hold and says why", async () => {
    const agentId = await createAgent();
    expect((await admin(`/v1/agents/${agentId}/legal-hold`, { method: "PUT", body: JSON.stringify({ reason: "case 42" }) })).status).toBe(200);
    const { cookie } = await adminSession();
    const { html } = await editForm(cookie, agentId);
    const res = await page(`/dashboard/agents/${agentId}/delete`, { cookie, form: { _csrf: csrfOf(html), confirm: agentId } });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain(`is under legal hold (&quot;case 42&quot;): lift the hold before deleting it`);
    expect(await agentJson(agentId)).not.toBeNull();
  });
});

describe("dashboard agent form: who may use it", () => {
  it("shows a viewer every form disabled and refuses each, with and without the CSRF token", async () => {
    const agentId = await createAgent({ name: "Kept" });
    const { key } = await createKey({ role: "viewer" });
    const { cookie } = await signIn(key);
    const list = await (await page("/dashboard/agents", { cookie })).text();
    expect(list).toContain('<span class="button disabled" aria-disabled="true" data-testid="new-agent">');
    expect(list).toContain('data-action="delete" data-enabled="false"');
    expect(list).not.toContain('data-action="edit" data-enabled="true"');
    const overview = await (await page(`/dashboard/agents/${agentId}`, { cookie })).text();
    expect(overview).toContain(`href="/dashboard/agents/${agentId}/edit" data-action="edit" data-enabled="false"`);

    const newPage = await (await page("/dashboard/agents/new", { cookie })).text();
    expect(newPage).toContain("<fieldset disabled");
    const { html, form } = await editForm(cookie, agentId);
    expect(html).toContain("<fieldset disabled");
    expect(html).toMatch(/<button type="submit" class="danger" disabled/);
    const csrf = csrfOf(html);

    const posts: Array<[string, Record<string, string>]> = [
      ["/dashboard/agents/new", { ...form, id: uniqueAgentId("viewer-made") }],
      [`/dashboard/agents/${agentId}/edit`, { ...form, name: "Changed" }],
      [`/dashboard/agents/${agentId}/delete`, { confirm: agentId }],
    ];
    for (const [path, fields] of posts) {
      const withToken = await page(path, { cookie, form: { ...fields, _csrf: csrf } });
      expect(withToken.status, path).toBe(403);
      expect(await withToken.text()).toContain("viewer keys are read-only");
      const { _csrf: _dropped, ...without } = fields;
      expect((await page(path, { cookie, form: without })).status, path).toBe(403);
    }
    expect(await agentJson(agentId)).toMatchObject({ version: 1, config: { name: "Kept" } });
  });

  it("refuses an operator the retention cut the API refuses it, above the form, and saves nothing", async () => {
    const agentId = await createAgent({ audit: { compliance: { standards: ["HIPAA"] }, retention: { duration: "7y" } } });
    const { key } = await createKey({ role: "operator", agents: [agentId] });
    const { cookie } = await signIn(key);
    const { form } = await editForm(cookie, agentId);
    const audit = JSON.parse(form.audit!) as { retention: Record<string, unknown> };
    const res = await page(`/dashboard/agents/${agentId}/edit`, { cookie, form: { ...form, audit: JSON.stringify({ ...audit, retention: { ...audit.retention, duration: "30d" } }) } });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(fieldErrors(html, "form")[0]).toMatch(/^audit\.retention\.duration: "30d" is shorter than the 6y that HIPAA requires.*it needs an admin key$/);
    expect(textarea(html, "audit")).toContain('"duration":"30d"');
    expect(await agentJson(agentId)).toMatchObject({ version: 1, config: { audit: { retention: { duration: "7y" } } } });
  });

  it("keeps a key limited to some agents to those: it edits its own and reaches no other", async () => {
    const own = await createAgent({ name: "Own" });
    const other = await createAgent({ name: "Other" });
    const { key } = await createKey({ role: "operator", agents: [own] });
    const { cookie } = await signIn(key);
    const list = await (await page("/dashboard/agents", { cookie })).text();
    expect(list).toContain(`href="/dashboard/agents/${own}/edit" data-action="edit" data-enabled="true"`);

    const { form, html } = await editForm(cookie, own);
    const csrf = csrfOf(html);
    expect((await page(`/dashboard/agents/${own}/edit`, { cookie, form: { ...form, name: "Own two" } })).status).toBe(303);
    expect((await agentJson(own))!.config.name).toBe("Own two");

    expect((await page(`/dashboard/agents/${other}/edit`, { cookie })).status).toBe(403);
    expect((await page(`/dashboard/agents/${other}/edit`, { cookie, form: { ...form, version: "1", _csrf: csrf } })).status).toBe(403);
    expect((await page(`/dashboard/agents/${other}/delete`, { cookie, form: { _csrf: csrf, confirm: other } })).status).toBe(403);
    const created = await page("/dashboard/agents/new", { cookie, form: { ...form, id: uniqueAgentId("elsewhere"), _csrf: csrf } });
    expect(created.status).toBe(403);
    expect(await created.text()).toContain("is not allowed to reach agent");
    expect(await agentJson(other)).toMatchObject({ version: 1, config: { name: "Other" } });
  });
});
