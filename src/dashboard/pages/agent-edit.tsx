import type { ConfigIssue } from "../../config";
import type { Principal } from "../../http/context";
import { mayAct } from "../context";
import { Layout } from "../layout";
import { type AgentFormValues, type FieldErrors, FORM_FIELD, SECTIONS, type Section } from "./agent-form";

const agentPath = (agentId: string) => `/dashboard/agents/${encodeURIComponent(agentId)}`;
export const editPath = (agentId: string) => `${agentPath(agentId)}/edit`;

/** Whether the key may create some agent: an unlimited key that may write, or one of its own agents. */
export function mayCreate(principal: Principal): boolean {
  const ids = principal.agents ?? ["any"];
  return ids.some((id) => mayAct(principal, "PUT", `/v1/agents/${encodeURIComponent(id)}`));
}

/** "New agent", shown disabled to a key that may create none. */
export function NewAgentLink(props: { principal: Principal }) {
  return mayCreate(props.principal) ? (
    <a class="button" href="/dashboard/agents/new" data-testid="new-agent">
      New agent
    </a>
  ) : (
    <span class="button disabled" aria-disabled="true" data-testid="new-agent">
      New agent
    </span>
  );
}

/**
 * An agent's "Edit" and "Delete": links to its edit page and to the delete form there. A key that
 * may not change the agent gets "Config" (the page, read-only) and a disabled "Delete".
 */
export function AgentActions(props: { principal: Principal; agentId: string }) {
  const admin = `/v1/agents/${encodeURIComponent(props.agentId)}`;
  const canEdit = mayAct(props.principal, "PUT", admin);
  const canDelete = mayAct(props.principal, "DELETE", admin);
  return (
    <span class="actions" data-testid="agent-actions">
      <a href={editPath(props.agentId)} data-action="edit" data-enabled={String(canEdit)}>
        {canEdit ? "Edit" : "Config"}
      </a>
      {canDelete ? (
        <a href={`${editPath(props.agentId)}#delete`} class="danger" data-action="delete" data-enabled="true">
          Delete
        </a>
      ) : (
        <span class="disabled" aria-disabled="true" data-action="delete" data-enabled="false">
          Delete
        </span>
      )}
    </span>
  );
}

function Errors(props: { field: string; errors: FieldErrors }) {
  const list = props.errors[props.field];
  if (!list || list.length === 0) return null;
  return (
    <ul class="field-errors error" id={`err-${props.field}`} data-field-errors={props.field}>
      {list.map((message) => (
        <li>{message}</li>
      ))}
    </ul>
  );
}

/** A labelled input with its errors beside it. */
function Field(props: { name: string; label: string; hint?: string; errors: FieldErrors; children: unknown }) {
  return (
    <div class={props.errors[props.name] ? "field invalid" : "field"} data-field={props.name}>
      <label for={`f-${props.name}`}>{props.label}</label>
      {props.hint ? <div class="muted">{props.hint}</div> : null}
      {props.children as never}
      <Errors field={props.name} errors={props.errors} />
    </div>
  );
}

/** The fields top to bottom, for the list of those with problems. */
const FORM_ORDER = ["id", "name", "model", "maxTokens", "systemPrompt", ...SECTIONS, "secrets"];

const rows = (text: string) => Math.min(30, Math.max(3, text.split("\n").length));
const invalid = (errors: FieldErrors, name: string) => (errors[name] ? { "aria-invalid": "true", "aria-describedby": `err-${name}` } : {});

const SECTION_HINTS: Record<Section, string> = {
  channels: 'A list: { "type": "http" }, { "type": "sms", "features": ["short_responses"] }, …',
  trust: "Trust level, rules, permissions by level, deny and ask lists.",
  tools: 'Built-in tools, maxSteps, MCP servers (header values are { "secret": "<name>" }).',
  optimization: "Cache rules, patterns, budget, fallback tiers, routing.",
  learning: "Pattern learning and how learned answers are rolled out.",
  messageHandling: "How incoming messages are handled.",
  audit: 'Level, compliance, retention, alerts (a Slack alert URL is { "secret": "<name>" }).',
};

export interface AgentFormProps {
  principal: Principal;
  csrf: string;
  mode: "create" | "edit";
  values: AgentFormValues;
  errors: FieldErrors;
  /** Whether the key may save this form (a viewer sees it disabled). */
  canSave: boolean;
  /** Edit only: the stored agent's version, secret names, the config checks' warnings, delete rights. */
  agent?: { agentId: string; version: number; secretNames: string[]; warnings: ConfigIssue[]; canDelete: boolean; saved: boolean; deleteError?: string };
}

/**
 * The agent form: plain inputs for the top-level fields, one JSON textarea per config section,
 * each with its problems beside it, and one write-only secret (a value is never shown). On edit,
 * the config checks' warnings and the delete form with its typed confirmation.
 */
export function AgentFormPage(props: AgentFormProps) {
  const { values, errors, agent } = props;
  const title = props.mode === "create" ? "New agent" : `Edit ${values.id}`;
  const action = props.mode === "create" ? "/dashboard/agents/new" : editPath(values.id);
  const fieldsWithErrors = FORM_ORDER.filter((field) => errors[field]);
  return (
    <Layout title={title} principal={props.principal} csrf={props.csrf}>
      <h1>
        {title} {agent ? <span class="muted">version {agent.version}</span> : null}
      </h1>
      {agent ? (
        <p>
          <a href={agentPath(agent.agentId)}>Overview</a>
        </p>
      ) : null}
      {agent?.saved ? (
        <p class="card notice" data-testid="saved">
          Saved as version {agent.version}.
        </p>
      ) : null}
      {agent && agent.warnings.length > 0 ? (
        <section class="card warnings" data-testid="warnings">
          <h2>Config checks</h2>
          <ul>
            {agent.warnings.map((w) => (
              <li data-warning-path={w.path}>
                {w.path}: {w.message}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {Object.keys(errors).length > 0 ? (
        <p class="error" data-testid="not-saved">
          Not saved.
          {fieldsWithErrors.length > 0 ? " Problems in: " : null}
          {fieldsWithErrors.map((field, i) => (
            <>
              {i > 0 ? ", " : ""}
              <a href={`#f-${field}`}>{field}</a>
            </>
          ))}
        </p>
      ) : null}
      <Errors field={FORM_FIELD} errors={errors} />
      <form method="post" action={action} class="card agent-form" data-testid="agent-form">
        <input type="hidden" name="_csrf" value={props.csrf} />
        {props.mode === "edit" ? <input type="hidden" name="version" value={values.version} /> : null}
        <fieldset disabled={!props.canSave}>
          {props.mode === "create" ? (
            <Field name="id" label="Id" hint="Letters, digits, '-' and '_'; it names the agent in URLs and webhooks and cannot change." errors={errors}>
              <input type="text" id="f-id" name="id" value={values.id} required {...invalid(errors, "id")} />
            </Field>
          ) : null}
          <div class="grid">
            <Field name="name" label="Name" errors={errors}>
              <input type="text" id="f-name" name="name" value={values.name} {...invalid(errors, "name")} />
            </Field>
            <Field name="model" label="Model" errors={errors}>
              <input type="text" id="f-model" name="model" value={values.model} {...invalid(errors, "model")} />
            </Field>
            <Field name="maxTokens" label="Max tokens per answer" errors={errors}>
              <input type="text" inputmode="numeric" id="f-maxTokens" name="maxTokens" value={values.maxTokens} {...invalid(errors, "maxTokens")} />
            </Field>
          </div>
          <Field name="systemPrompt" label="System prompt" hint="Empty: the default prompt." errors={errors}>
            <textarea id="f-systemPrompt" name="systemPrompt" rows={rows(values.systemPrompt) + 2} {...invalid(errors, "systemPrompt")}>
              {values.systemPrompt}
            </textarea>
          </Field>
          {SECTIONS.map((section) => (
            <Field name={section} label={section} hint={`JSON. ${SECTION_HINTS[section]} Empty: the defaults.`} errors={errors}>
              <textarea class="code" id={`f-${section}`} name={section} rows={rows(values.sections[section])} spellcheck={false} {...invalid(errors, section)}>
                {values.sections[section]}
              </textarea>
            </Field>
          ))}
          <Field
            name="secrets"
            label="Set a secret"
            hint={`Optional. A value the config names as { "secret": "<name>" }, or a channel's (http, slack, twilio). It is stored, never shown again.${agent && agent.secretNames.length > 0 ? ` Set now: ${agent.secretNames.join(", ")}.` : ""}`}
            errors={errors}
          >
            <div class="pair">
              <input type="text" id="f-secrets" name="secretName" value={values.secretName} placeholder="name" autocomplete="off" {...invalid(errors, "secrets")} />
              <input type="password" name="secretValue" value="" placeholder="value" autocomplete="new-password" />
            </div>
          </Field>
          <button type="submit">{props.mode === "create" ? "Create agent" : "Save"}</button>
        </fieldset>
        {props.canSave ? null : <p class="muted">This key cannot change this agent.</p>}
      </form>
      {agent ? (
        <section class="card danger-zone" id="delete">
          <h2>Delete</h2>
          <p class="muted">
            Deletes the agent's config, secrets, trust history, approvals and files; its audit trail is kept. Type <code>{agent.agentId}</code> to confirm.
          </p>
          <form method="post" action={`${agentPath(agent.agentId)}/delete`} class="inline" data-testid="delete-form">
            <input type="hidden" name="_csrf" value={props.csrf} />
            <input type="text" name="confirm" placeholder={agent.agentId} autocomplete="off" required disabled={!agent.canDelete} aria-label="Agent id to confirm" />
            <button type="submit" class="danger" disabled={!agent.canDelete}>
              Delete agent
            </button>
          </form>
          {agent.deleteError ? (
            <p class="error" data-field-errors="confirm">
              {agent.deleteError}
            </p>
          ) : null}
        </section>
      ) : null}
    </Layout>
  );
}
