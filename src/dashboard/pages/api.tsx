import type { Child } from "hono/jsx";
import type { OpenApiDocument } from "../../admin/openapi/document";
import type { Principal } from "../../http/context";
import { Layout } from "../layout";

/** A JSON Schema as the document holds it; read, never trusted to have any field. */
type Schema = Record<string, unknown>;

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  description: string;
  schema: Schema;
}

interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; description?: string; content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content: Record<string, { schema: Schema }> }>;
}

/** Nested objects shown at most this deep: the document's own bodies stop well before. */
const MAX_DEPTH = 6;
/** Patterns longer than this (the ISO date-time one) are left to the format's name. */
const MAX_PATTERN = 60;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const asSchemas = (v: unknown): Schema[] => (Array.isArray(v) ? (v as Schema[]) : []);
const isObject = (v: unknown): v is Schema => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A schema's type in a few words: `string (date-time)`, `integer (≥ 1, ≤ 200)`, `"a" | "b"`,
 * `array of object`, `map of integer`, `string | null`.
 *
 * @example
 * typeLabel({ type: ["string", "null"] }); // "string | null"
 */
export function typeLabel(s: Schema): string {
  if (typeof s.$ref === "string") return "error envelope";
  if ("const" in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  const alternatives = asSchemas(s.anyOf ?? s.oneOf);
  if (alternatives.length > 0) return alternatives.map(typeLabel).join(" | ");
  const type = Array.isArray(s.type) ? s.type.join(" | ") : typeof s.type === "string" ? s.type : null;
  if (type === null) return "any JSON";
  if (type === "array") return `array of ${inner(isObject(s.items) ? s.items : {})}`;
  if (type === "object" && !isObject(s.properties) && isObject(s.additionalProperties)) return `map of ${inner(s.additionalProperties)}`;
  const notes = [
    typeof s.format === "string" ? s.format : null,
    typeof s.pattern === "string" && s.pattern.length <= MAX_PATTERN ? `matching ${s.pattern}` : null,
    // zod bounds every integer by the safe-integer range: no news to a reader.
    typeof s.minimum === "number" && s.minimum !== Number.MIN_SAFE_INTEGER ? `≥ ${s.minimum}` : null,
    typeof s.maximum === "number" && s.maximum !== Number.MAX_SAFE_INTEGER ? `≤ ${s.maximum}` : null,
    typeof s.minLength === "number" && s.minLength > 0 ? (s.minLength === 1 ? "not empty" : `at least ${plural(s.minLength, "character")}`) : null,
    typeof s.maxLength === "number" ? `at most ${plural(s.maxLength, "character")}` : null,
    typeof s.minItems === "number" && s.minItems > 0 ? `at least ${plural(s.minItems, "item")}` : null,
    typeof s.maxItems === "number" ? `at most ${plural(s.maxItems, "item")}` : null,
  ].filter((n): n is string => n !== null);
  return notes.length > 0 ? `${type} (${notes.join(", ")})` : type;
}

/** A label inside another (`array of (string | null)`), bracketed when it is a choice. */
function inner(s: Schema): string {
  const label = typeLabel(s);
  return label.includes(" | ") ? `(${label})` : label;
}

/** The object whose fields a schema shows: itself, its items, its map values; null for a leaf. */
function fieldsOf(s: Schema): Schema | null {
  if (isObject(s.properties)) return s;
  if (isObject(s.items)) return fieldsOf(s.items);
  if (isObject(s.additionalProperties)) return fieldsOf(s.additionalProperties);
  return null;
}

/** The fields of an object schema (and of the objects inside it), one line each. */
function Fields(props: { schema: Schema; depth: number }): Child {
  const alternatives = asSchemas(props.schema.anyOf ?? props.schema.oneOf).filter((a) => fieldsOf(a) !== null);
  if (alternatives.length > 1) {
    return (
      <ol class="schema">
        {alternatives.map((a) => (
          <li>
            one of: <Fields schema={a} depth={props.depth} />
          </li>
        ))}
      </ol>
    );
  }
  const object = alternatives[0] ? fieldsOf(alternatives[0]) : fieldsOf(props.schema);
  if (!object || props.depth >= MAX_DEPTH) return null;
  const required = new Set(Array.isArray(object.required) ? (object.required as string[]) : []);
  const closed = object.additionalProperties === false;
  return (
    <ul class="schema">
      {Object.entries(object.properties as Record<string, Schema>).map(([name, field]) => (
        <li data-field={name}>
          <code>{name}</code> <span class="muted">{typeLabel(field)}</span> {required.has(name) ? <span class="badge">required</span> : null}
          <Fields schema={field} depth={props.depth + 1} />
        </li>
      ))}
      {closed ? <li class="muted">no other fields</li> : null}
    </ul>
  );
}

function Body(props: { content: Record<string, { schema: Schema }> }) {
  return (
    <>
      {Object.entries(props.content).map(([type, { schema }]) => (
        <div>
          <p class="muted">
            <code>{type}</code>: {typeLabel(schema)}
          </p>
          {typeof schema.$ref === "string" ? null : <Fields schema={schema} depth={0} />}
        </div>
      ))}
    </>
  );
}

function OperationView(props: { method: string; path: string; op: Operation }) {
  const { method, path, op } = props;
  return (
    <details class="request" id={op.operationId} data-testid="operation" data-method={method.toUpperCase()} data-path={path}>
      <summary>
        <span class="badge">{method.toUpperCase()}</span> <code>{path}</code> {op.summary}
      </summary>
      {op.description ? <p>{op.description}</p> : null}
      {op.parameters && op.parameters.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Parameter</th>
                <th>In</th>
                <th>Type</th>
                <th>Meaning</th>
              </tr>
            </thead>
            <tbody>
              {op.parameters.map((p) => (
                <tr>
                  <td>
                    <code>{p.name}</code>
                    {p.required ? " (required)" : ""}
                  </td>
                  <td>{p.in}</td>
                  <td>{typeLabel(p.schema)}</td>
                  <td>{p.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {op.requestBody ? (
        <>
          <h3>Request body{op.requestBody.required ? "" : " (optional)"}</h3>
          {op.requestBody.description ? <p>{op.requestBody.description}</p> : null}
          <Body content={op.requestBody.content} />
        </>
      ) : null}
      <h3>Responses</h3>
      {Object.entries(op.responses).map(([status, r]) => (
        <div data-status={status}>
          <p>
            <span class={Number(status) >= 400 ? "badge bad" : "badge ok"}>{status}</span> {r.description}
            {Number(status) >= 400 ? <span class="muted"> (the error envelope)</span> : null}
          </p>
          {Number(status) >= 400 ? null : <Body content={r.content} />}
        </div>
      ))}
    </details>
  );
}

/**
 * The admin API's reference, rendered from the OpenAPI document `GET /v1/openapi.json` serves:
 * each route under its tag, with its parameters, body and answers. No script: each route is a
 * `<details>` the browser opens.
 */
export function ApiReferencePage(props: { principal: Principal; csrf: string; document: OpenApiDocument }) {
  const operations = Object.entries(props.document.paths).flatMap(([path, ops]) =>
    Object.entries(ops as Record<string, Operation>).map(([method, op]) => ({ path, method, op })),
  );
  const tags = [...new Set(operations.map((o) => o.op.tags[0] ?? "other"))];
  return (
    <Layout title="Admin API" principal={props.principal} csrf={props.csrf}>
      <h1>Admin API</h1>
      <div class="card">
        <p>
          Every route is under <code>/v1</code> and takes an API key as a bearer token (<code>Authorization: Bearer fmk_…</code>); what a key may do depends on its role and
          agents. Every error answers <code>{"{ error: { code, message, requestId } }"}</code>.
        </p>
        <h3>The error envelope</h3>
        <Fields schema={props.document.components.schemas.Error} depth={0} />
        <p>
          The same description as OpenAPI 3.1: <code>GET /v1/openapi.json</code> with a key, or <a href="/dashboard/api/openapi.json">download it</a> here.
        </p>
      </div>
      {tags.map((tag) => (
        <section class="card" data-tag={tag}>
          <h2>{tag}</h2>
          {operations
            .filter((o) => (o.op.tags[0] ?? "other") === tag)
            .map((o) => (
              <OperationView method={o.method} path={o.path} op={o.op} />
            ))}
        </section>
      ))}
    </Layout>
  );
}
