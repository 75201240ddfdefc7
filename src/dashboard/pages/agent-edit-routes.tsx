import { type Context, Hono } from "hono";
import { deleteAgent, MAX_ADMIN_BODY_BYTES, parsePutBody, saveAgent } from "../../admin/agents";
import { adminActor, agentIdSchema, loadAgent, parseAgentId } from "../../admin/common";
import { runWarnings } from "../../admin/config-checks";
import { type ConfigIssue, hideCredentials } from "../../config";
import { secretNames } from "../../core/agent";
import { AppError, STATUS_OF } from "../../core/errors";
import { loadPriceTable } from "../../cost/prices";
import { authorize, type DashboardEnv, mayAct, requireSession } from "../context";
import { readForm, requireCsrf } from "../guard";
import type { Session } from "../session";
import { type AgentFormValues, defaultConfig, errorsByField, type FieldErrors, FORM_FIELD, formValues, putBody, readValues } from "./agent-form";
import { AgentFormPage, editPath, mayCreate } from "./agent-edit";

type Ctx = Context<DashboardEnv>;

/** Percent-encoding makes a byte up to three: the form carries as much config as the JSON route takes. */
const MAX_FORM_BYTES = 3 * MAX_ADMIN_BODY_BYTES;

/** Refusals of a save that the form shows beside its fields rather than as an error page. */
const SHOWN_IN_FORM = new Set(["invalid_config", "invalid_request", "conflict", "forbidden"]);

/** What the form shows for a refused save: each issue beside its field, or the message above the form. */
function refusal(err: AppError): { errors: FieldErrors; status: 422 | 403 | 409 } {
  const details = err.details as { issues?: ConfigIssue[] } | undefined;
  const errors = details?.issues ? errorsByField(details.issues) : { [FORM_FIELD]: [err.message] };
  return { errors, status: err.code === "invalid_config" || err.code === "invalid_request" ? 422 : (STATUS_OF[err.code] as 403 | 409) };
}

/** The edit page of a stored agent, with what it runs with: its secrets' names and the config checks' warnings. */
async function renderEdit(c: Ctx, session: Session, agentId: string, shown: { values?: AgentFormValues; errors?: FieldErrors; deleteError?: string; status?: 200 | 403 | 404 | 409 | 413 | 422 } = {}) {
  const { record, secrets } = (await loadAgent(c.env, agentId)).snapshot;
  const admin = `/v1/agents/${encodeURIComponent(agentId)}`;
  // The checks `PUT /v1/agents/:agentId` answers with, for the config as stored.
  const warnings = runWarnings(record.config, { model: record.model, systemPrompt: record.systemPrompt, prices: loadPriceTable(c.env.MODEL_PRICES), secrets });
  const values = shown.values ?? formValues(hideCredentials(record.config), { id: agentId, version: String(record.version), model: record.model, systemPrompt: record.systemPrompt });
  return c.html(
    <AgentFormPage
      principal={session.principal}
      csrf={session.csrf}
      mode="edit"
      values={values}
      errors={shown.errors ?? {}}
      canSave={mayAct(session.principal, "PUT", admin)}
      agent={{
        agentId,
        version: record.version,
        secretNames: secretNames(secrets),
        warnings,
        canDelete: mayAct(session.principal, "DELETE", admin),
        saved: c.req.query("saved") !== undefined && shown.values === undefined,
        ...(shown.deleteError ? { deleteError: shown.deleteError } : {}),
      }}
    />,
    shown.status ?? 200,
  );
}

/**
 * Saves the form through `saveAgent`, the code of `PUT /v1/agents/:agentId`, and redirects: to the
 * overview, or to the edit page when the config checks warn. A refusal shows the form again as
 * typed, each problem beside its field; nothing is saved.
 */
async function submit(c: Ctx, session: Session, agentId: string, values: AgentFormValues, secretValue: string, expected: { version: number | null }, render: (errors: FieldErrors, status: 403 | 409 | 422) => Promise<Response> | Response) {
  const built = putBody(values, secretValue);
  if (!built.ok) return render(built.errors, 422);
  try {
    const { warnings } = await saveAgent(c, agentId, parsePutBody(built.body), expected);
    return c.redirect(warnings.length > 0 ? `${editPath(agentId)}?saved` : `/dashboard/agents/${encodeURIComponent(agentId)}`, 303);
  } catch (err) {
    if (!(err instanceof AppError) || !SHOWN_IN_FORM.has(err.code)) throw err;
    const { errors, status } = refusal(err);
    return render(errors, status);
  }
}

/**
 * Creating, editing and deleting agents: the form over `PUT /v1/agents/:agentId` and the delete
 * form over `DELETE /v1/agents/:agentId`, each allowed when its admin route would be. Mounted by
 * `routes.tsx` before the agent pages, so `/agents/new` is not taken for an agent's id.
 */
export const agentEditPageRoutes = new Hono<DashboardEnv>()
  .get("/agents/new", (c) => {
    const session = requireSession(c);
    authorize(session.principal, "GET", "/v1/agents");
    const values = formValues(defaultConfig(), { id: "", version: "" });
    return c.html(<AgentFormPage principal={session.principal} csrf={session.csrf} mode="create" values={values} errors={{}} canSave={mayCreate(session.principal)} />);
  })
  .post("/agents/new", async (c) => {
    const session = requireSession(c);
    const form = await readForm(c, MAX_FORM_BYTES);
    await requireCsrf(session, form);
    const values = readValues(form);
    // The admin API's rule for the id typed: a key limited to agents creates only those.
    authorize(session.principal, "PUT", `/v1/agents/${encodeURIComponent(values.id)}`);
    const render = (errors: FieldErrors, status: 403 | 409 | 422) =>
      c.html(<AgentFormPage principal={session.principal} csrf={session.csrf} mode="create" values={values} errors={errors} canSave={true} />, status);
    const id = agentIdSchema.safeParse(values.id);
    // `/dashboard/agents/new` is this form: an agent called "new" would have no overview here.
    const idProblem = !id.success ? (id.error.issues[0]?.message ?? "invalid agent id") : id.data === "new" ? '"new" is the address of this form in the dashboard; choose another id' : null;
    if (!id.success || idProblem) {
      const built = putBody(values, "");
      return render({ ...(built.ok ? {} : built.errors), id: [`id: ${idProblem}`] }, 422);
    }
    return submit(c, session, id.data, values, form.get("secretValue") ?? "", { version: null }, render);
  })
  .get("/agents/:agentId/edit", async (c) => {
    const session = requireSession(c);
    const agentId = parseAgentId(c.req.param("agentId"));
    authorize(session.principal, "GET", `/v1/agents/${encodeURIComponent(agentId)}`);
    return renderEdit(c, session, agentId);
  })
  .post("/agents/:agentId/edit", async (c) => {
    const session = requireSession(c);
    const form = await readForm(c, MAX_FORM_BYTES);
    await requireCsrf(session, form);
    const agentId = parseAgentId(c.req.param("agentId"));
    authorize(session.principal, "PUT", `/v1/agents/${encodeURIComponent(agentId)}`);
    const values = { ...readValues(form), id: agentId };
    const version = Number(values.version);
    if (!Number.isSafeInteger(version) || version < 1) throw new AppError("invalid_request", "version: the form lost the version it edits: reload the page");
    const render = (errors: FieldErrors, status: 403 | 409 | 422) => renderEdit(c, session, agentId, { values, errors, status });
    return submit(c, session, agentId, values, form.get("secretValue") ?? "", { version }, render);
  })
  .post("/agents/:agentId/delete", async (c) => {
    const session = requireSession(c);
    const form = await readForm(c);
    await requireCsrf(session, form);
    const agentId = parseAgentId(c.req.param("agentId"));
    authorize(session.principal, "DELETE", `/v1/agents/${encodeURIComponent(agentId)}`);
    if ((form.get("confirm") ?? "").trim() !== agentId) {
      return renderEdit(c, session, agentId, { deleteError: `confirm: type the agent's id, "${agentId}", to delete it`, status: 422 });
    }
    try {
      await deleteAgent(c.env, agentId, { actor: adminActor(c), now: c.var.clock.now() });
    } catch (err) {
      // A legal hold: the agent stays, and its page says why.
      if (err instanceof AppError && err.code === "conflict") return renderEdit(c, session, agentId, { deleteError: err.message, status: 409 });
      throw err;
    }
    return c.redirect("/dashboard/agents", 303);
  });
