/**
 * The agent form's fields and how they become a `PUT /v1/agents/:agentId` body: plain inputs for
 * the top-level scalars, one JSON textarea per config section, and one write-only secret. Pure
 * functions; the routes validate the body with the admin API's own code.
 */
import { type AgentConfig, agentConfigSchema, type ConfigIssue, ROOT_PATH } from "../../config";

/** The config sections edited as JSON, in the order the form shows them. */
export const SECTIONS = ["channels", "trust", "tools", "optimization", "learning", "messageHandling", "audit"] as const;
export type Section = (typeof SECTIONS)[number];

/** What the form holds, as typed (re-shown as typed when the save is refused). Never a secret's value. */
export interface AgentFormValues {
  id: string;
  /** The version the form edits; empty on create. */
  version: string;
  name: string;
  model: string;
  maxTokens: string;
  systemPrompt: string;
  sections: Record<Section, string>;
  secretName: string;
}

/** Where a problem is shown: beside a field (`id`, `name`, a section, `secrets`, …) or above the form (`form`). */
export type FieldErrors = Record<string, string[]>;

export const FORM_FIELD = "form";
const SCALARS = ["id", "name", "model", "maxTokens", "systemPrompt", "secrets"] as const;
const FIELDS = new Set<string>([...SCALARS, ...SECTIONS]);

/**
 * The form for a config: every section as indented JSON. `runsWith` is what the agent runs with
 * (the stored record's model and prompt, which a PUT body may set apart from the config).
 *
 * @example
 * formValues(defaults, { id: "", version: "" }).sections.trust; // '{\n  "initial": 0.3, …'
 */
export function formValues(config: AgentConfig, at: { id: string; version: string; model?: string; systemPrompt?: string }): AgentFormValues {
  return {
    id: at.id,
    version: at.version,
    name: config.name ?? "",
    model: at.model ?? config.model,
    maxTokens: String(config.maxTokens),
    systemPrompt: at.systemPrompt ?? config.systemPrompt ?? "",
    sections: Object.fromEntries(SECTIONS.map((s) => [s, JSON.stringify(config[s], null, 2)])) as Record<Section, string>,
    secretName: "",
  };
}

/** The form as posted. Browsers send a textarea's line breaks as CRLF (HTML, "textarea wrapping"); the prompt keeps LF. */
export function readValues(form: URLSearchParams): AgentFormValues {
  const get = (name: string) => form.get(name) ?? "";
  return {
    id: get("id").trim(),
    version: get("version").trim(),
    name: get("name"),
    model: get("model"),
    maxTokens: get("maxTokens"),
    systemPrompt: get("systemPrompt").replace(/\r\n?/g, "\n"),
    sections: Object.fromEntries(SECTIONS.map((s) => [s, get(s)])) as Record<Section, string>,
    secretName: get("secretName").trim(),
  };
}

/**
 * The `PUT` body the form stands for, or the sections whose JSON does not parse (with the line
 * and column). Empty inputs are left out, so the schema's defaults apply. `secretValue` is the
 * write-only secret field, set only with a name.
 *
 * @example
 * putBody({ ...values, sections: { ...values.sections, trust: '{"initial": }' } }, "");
 * // { ok: false, errors: { trust: ["trust: not valid JSON at line 1, column 13: Unexpected token '}'"] } }
 */
export function putBody(values: AgentFormValues, secretValue: string): { ok: true; body: Record<string, unknown> } | { ok: false; errors: FieldErrors } {
  const config: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  if (values.name.trim() !== "") config.name = values.name.trim();
  if (values.model.trim() !== "") config.model = values.model.trim();
  const maxTokens = values.maxTokens.trim();
  // A number as typed; anything else goes to the schema as text, which names the field's rule.
  if (maxTokens !== "") config.maxTokens = /^-?\d+(\.\d+)?$/.test(maxTokens) ? Number(maxTokens) : maxTokens;
  if (values.systemPrompt.trim() !== "") config.systemPrompt = values.systemPrompt;
  for (const section of SECTIONS) {
    const text = values.sections[section];
    if (text.trim() === "") continue;
    try {
      config[section] = JSON.parse(text);
    } catch (err) {
      errors[section] = [`${section}: ${jsonSyntaxMessage(text, err)}`];
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const body: Record<string, unknown> = { config };
  if (values.secretName !== "" || secretValue !== "") body.secrets = { [values.secretName]: secretValue };
  return { ok: true, body };
}

/**
 * Places each issue beside the field its path starts with (`trust.rules[2].amount` beside
 * `trust`, `secrets.http` beside the secret), as `path: message`; any other above the form.
 */
export function errorsByField(issues: readonly ConfigIssue[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const head = /^[A-Za-z_$][\w$]*/.exec(issue.path)?.[0];
    const field = head !== undefined && FIELDS.has(head) ? head : FORM_FIELD;
    (errors[field] ??= []).push(issue.path === ROOT_PATH ? issue.message : `${issue.path}: ${issue.message}`);
  }
  return errors;
}

/** The config every field of a new agent starts from: the schema's defaults. */
export function defaultConfig(): AgentConfig {
  return agentConfigSchema.parse({});
}

/** V8's JSON error, with where it happened as a line and column (V8 gives an offset, or none). */
function jsonSyntaxMessage(text: string, err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  // V8 quotes the input (`…, "<text>" is not valid JSON`) and its offset; the line and column say it better.
  const reason = raw.replace(/,\s*".*" is not valid JSON$/s, "").replace(/\s*in JSON at position \d+.*$/s, "");
  const at = jsonErrorOffset(text);
  if (at === null) return `not valid JSON: ${reason}`;
  const before = text.slice(0, at).split("\n");
  return `not valid JSON at line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}: ${reason}`;
}

const MAX_DEPTH = 512;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * The offset of the first character that breaks RFC 8259's grammar, or null when there is none
 * (or the text nests deeper than this scanner follows).
 */
export function jsonErrorOffset(text: string): number | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const fail = (): never => {
    throw new SyntaxAt(i);
  };
  const expect = (ch: string) => (text[i] === ch ? i++ : fail());
  const string = () => {
    expect('"');
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '"') return void i++;
      if (ch < " ") fail();
      if (ch === "\\") {
        i++;
        if (text[i] === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? "x")) fail();
      }
      i++;
    }
    fail();
  };
  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) throw new TooDeep();
    ws();
    const ch = text[i];
    if (ch === "{" || ch === "[") {
      const close = ch === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (ch === "{") {
          ws();
          string();
          ws();
          expect(":");
        }
        value(depth + 1);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        expect(close);
        return;
      }
    }
    if (ch === '"') return string();
    for (const literal of ["true", "false", "null"]) {
      if (text.startsWith(literal, i)) return void (i += literal.length);
    }
    NUMBER.lastIndex = i;
    if (NUMBER.exec(text)) return void (i = NUMBER.lastIndex);
    fail();
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail();
    return null;
  } catch (err) {
    if (err instanceof SyntaxAt) return err.offset;
    if (err instanceof TooDeep) return null;
    throw err;
  }
}

class SyntaxAt {
  constructor(readonly offset: number) {}
}
class TooDeep {}
