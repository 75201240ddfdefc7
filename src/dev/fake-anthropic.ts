/**
 * A fake Anthropic Messages API for local dev and tests, plain JSON or streamed as server-sent
 * events (`"stream": true`, `fake-anthropic-stream.ts`).
 *
 * There is no network here, so this stands in for api.anthropic.com. Point the SDK's
 * baseURL at it. Answers are simulated: tests script them per `metadata.user_id` through
 * the /_fake control API, and read back what was sent. A question of the banking77 data that no
 * script or oracle answers gets its intent's facts in varied wording, as a real model would say
 * them (src/dev/banking77.ts); any other question gets an echo.
 *
 *   node src/dev/fake-anthropic.ts [--port 9000] [--host 127.0.0.1]
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';

import type { FakeAnthropic, FakeAnthropicOptions, FakeStep, RecordedRequest, Usage } from './fake-anthropic-types.ts';
import { BANKING77_DIR, loadKnownQuestions, questionKey } from './banking77.ts';
import { wordFacts } from './fake-wording.ts';
import { streamMessage } from './fake-anthropic-stream.ts';
export type { FakeAnthropic, FakeAnthropicOptions, FakeStep, RecordedRequest, Usage } from './fake-anthropic-types.ts';

const MAX_BODY_BYTES = 10 * 1024 * 1024;

const ERROR_TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

type Obj = Record<string, unknown>;
type KeyState = { steps: FakeStep[]; requests: RecordedRequest[]; cachedPrefixes: Set<string>; oracle: Map<string, string | { facts: string }>; worded: number };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const newId = (prefix: string) => prefix + randomBytes(12).toString('hex');
const estimateTokens = (chars: number) => Math.ceil(chars / 4);
const json = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startFakeAnthropic(
  opts: FakeAnthropicOptions = {},
): Promise<FakeAnthropic> {
  const host = opts.host ?? '127.0.0.1';
  const knownDir = opts.knownQuestions ?? BANKING77_DIR;
  const known = knownDir === false ? null : loadKnownQuestions(knownDir);
  if (knownDir !== false && !known) {
    (opts.warn ?? console.warn)(`[fake model] no banking77 data at ${knownDir}: every question gets the simulated echo answer`);
  }
  // State lives per server so parallel test files with their own servers never share scripts.
  const keys = new Map<string, KeyState>();
  const stateFor = (key: string): KeyState => {
    let s = keys.get(key);
    if (!s) keys.set(key, (s = { steps: [], requests: [], cachedPrefixes: new Set(), oracle: new Map(), worded: 0 }));
    return s;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('request-id', newId('req_fake_'));
    const { pathname } = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);

    if (pathname === '/v1/messages' && req.method === 'POST') return messages(req, res, raw);
    if (pathname === '/_fake/health' && req.method === 'GET') return send(res, 200, { ok: true });

    const m = /^\/_fake\/(scripts|requests|oracle)\/([^/]+)$/.exec(pathname);
    if (m) {
      let key: string;
      try {
        key = decodeURIComponent(m[2]!);
      } catch {
        return sendError(res, 400, 'invalid_request_error', 'Key is not valid URL encoding');
      }
      if (m[1] === 'requests' && req.method === 'GET') return send(res, 200, { requests: stateFor(key).requests });
      if (m[1] === 'oracle' && (req.method === 'PUT' || req.method === 'POST')) {
        // An oracle answers a known question with its canonical answer (`answers`), or with its
        // facts in varied wording as a real model would (`facts`), for replay benchmarks.
        if (raw === null) return sendError(res, 413, 'request_too_large', 'Request exceeds the 10 MB limit');
        const body = parseJson(raw);
        const table = isObj(body) ? (body.answers ?? body.facts) : undefined;
        if (!isObj(body) || !isObj(table) || !Object.values(table).every((v) => typeof v === 'string')) {
          return sendError(res, 400, 'invalid_request_error', 'Body must be {"answers": {"<question>": "<answer>"}} or {"facts": {"<question>": "<facts>"}}');
        }
        const state = stateFor(key);
        if (req.method === 'PUT') state.oracle.clear();
        for (const [q, a] of Object.entries(table)) state.oracle.set(oracleKey(q), body.answers ? (a as string) : { facts: a as string });
        return send(res, 204);
      }
      if (m[1] === 'scripts' && req.method === 'DELETE') {
        keys.delete(key);
        return send(res, 204);
      }
      if (m[1] === 'scripts' && (req.method === 'PUT' || req.method === 'POST')) {
        if (raw === null) return sendError(res, 413, 'request_too_large', 'Request exceeds the 10 MB limit');
        const body = parseJson(raw);
        if (!isObj(body) || !Array.isArray(body.steps)) {
          return sendError(res, 400, 'invalid_request_error', 'Body must be {"steps": FakeStep[]}');
        }
        const bad = body.steps.map(checkStep).find((p) => p !== null);
        if (bad) return sendError(res, 400, 'invalid_request_error', bad);
        const state = stateFor(key);
        state.steps = req.method === 'PUT' ? [...body.steps] : [...state.steps, ...body.steps];
        return send(res, 204);
      }
    }
    sendError(res, 404, 'not_found_error', `No route for ${req.method} ${pathname} in the fake Anthropic API`);
  }

  async function messages(req: IncomingMessage, res: ServerResponse, raw: string | null): Promise<void> {
    const body = raw === null ? undefined : parseJson(raw);
    const userId = isObj(body) && isObj(body.metadata) ? body.metadata.user_id : undefined;
    const state = stateFor(typeof userId === 'string' && userId !== '' ? userId : 'default');
    // Record before validating: tests often want to see exactly what a rejected request looked like.
    state.requests.push({ receivedAt: Date.now(), headers: pickHeaders(req), body: body ?? null });

    if (raw === null) return sendError(res, 413, 'request_too_large', 'Request exceeds the 10 MB limit');
    const problem = validate(req, body);
    if (problem) return sendError(res, problem[0], problem[1], problem[2]);
    const request = body as Obj; // validate() guarantees an object

    // Only valid requests consume a step, so a client bug does not silently eat the script.
    const step = state.steps.shift();
    if (step?.delayMs) await sleep(step.delayMs);
    if (step?.type === 'error') {
      const errorType = step.errorType ?? ERROR_TYPE_BY_STATUS[step.status] ?? 'api_error';
      if (step.retryAfter !== undefined) res.setHeader('retry-after', String(step.retryAfter));
      return sendError(res, step.status, errorType, step.message ?? `Simulated ${errorType} from the fake Anthropic API`);
    }

    // A script comes first, then the oracle, then the banking77 facts; otherwise the echo.
    const question = lastUserText(request);
    const oracle = step ? undefined : state.oracle.get(oracleKey(question));
    const facts = typeof oracle === 'object' ? oracle.facts : step || oracle !== undefined ? undefined : known?.get(questionKey(question));
    const text = facts !== undefined ? wordFacts(facts, question, state.worded++) : (oracle as string | undefined);
    const { content, stopReason } = text === undefined ? answer(step, request) : answer({ type: 'text', text }, request);
    const usage = estimateUsage(request, content, state.cachedPrefixes);
    const override = step?.usage ?? {};
    const message = {
      id: newId('msg_fake_'),
      type: 'message',
      role: 'assistant',
      model: request.model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { ...usage, ...override, cache_creation: { ...usage.cache_creation, ...override.cache_creation } },
    };
    if (request.stream === true) streamMessage(res, message);
    else send(res, 200, message);
  }

  const server = createServer((req, res) => {
    if (opts.log) res.on('finish', () => opts.log!(`${req.method} ${req.url} -> ${res.statusCode}`));
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'api_error', `Fake server bug: ${String(err)}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive sockets (the SDK pools them) would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

// ---- request checks ------------------------------------------------------------------

function validate(req: IncomingMessage, body: unknown): [number, string, string] | null {
  const bad = (message: string): [number, string, string] => [400, 'invalid_request_error', message];
  // Auth comes first, as on the real API. @anthropic-ai/sdk 1.x sends `apiKey` as
  // `Authorization: Bearer`, not x-api-key, so either one counts.
  const apiKey = req.headers['x-api-key']?.toString().trim();
  const bearer = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
  if (!apiKey && !bearer) return [401, 'authentication_error', 'x-api-key header is required'];
  if (!req.headers['anthropic-version']) return bad('anthropic-version: header is required');
  if (!isObj(body)) return bad('Request body must be a JSON object');
  if (typeof body.model !== 'string' || body.model === '') return bad('model: Field required (non-empty string)');
  const max = body.max_tokens;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) return bad('max_tokens: must be a positive integer');
  if (!Array.isArray(body.messages) || body.messages.length === 0) return bad('messages: must be a non-empty array');
  if (body.stream !== undefined && typeof body.stream !== 'boolean') return bad('stream: must be a boolean');
  return null;
}

// Catch script typos at PUT/POST time rather than as a confusing answer later.
function checkStep(s: unknown, i: number): string | null {
  const at = `steps[${i}]`;
  if (!isObj(s)) return `${at} must be an object`;
  if (s.delayMs !== undefined && (typeof s.delayMs !== 'number' || s.delayMs < 0)) return `${at}.delayMs must be >= 0`;
  if (s.type === 'text') return typeof s.text === 'string' ? null : `${at}.text must be a string`;
  if (s.type === 'error') {
    return typeof s.status === 'number' && s.status >= 100 && s.status <= 599 ? null : `${at}.status must be an HTTP status`;
  }
  if (s.type === 'tool_use') {
    const ok = Array.isArray(s.calls) && s.calls.every((c) => isObj(c) && typeof c.name === 'string');
    return ok ? null : `${at}.calls must be an array of {name, input}`;
  }
  return `${at}.type must be 'text', 'tool_use' or 'error'`;
}

// ---- answers -------------------------------------------------------------------------

/** Oracle questions match whatever whitespace and Unicode form the agent's normalizer left them in. */
function oracleKey(text: string): string {
  return text.normalize('NFC').replace(/[\u200b\u2060\ufeff\u00ad]/g, '').replace(/\s+/g, ' ').trim();
}

function answer(step: FakeStep | undefined, request: Obj): { content: Obj[]; stopReason: string } {
  if (!step) {
    const text = 'Simulated reply from the fake Anthropic API: ' + lastUserText(request).slice(0, 200);
    return { content: [{ type: 'text', text }], stopReason: 'end_turn' };
  }
  if (step.type === 'text') {
    return { content: [{ type: 'text', text: fillTemplate(step.text, request) }], stopReason: step.stopReason ?? 'end_turn' };
  }
  if (step.type !== 'tool_use') throw new Error('error steps are answered before this point');
  const content: Obj[] = step.text ? [{ type: 'text', text: fillTemplate(step.text, request) }] : [];
  for (const call of step.calls) {
    content.push({ type: 'tool_use', id: call.id ?? newId('toolu_fake_'), name: call.name, input: call.input ?? {} });
  }
  return { content, stopReason: 'tool_use' };
}

function fillTemplate(text: string, request: Obj): string {
  const result = lastToolResult(request);
  // One pass, so a placeholder inside substituted text is left alone.
  return text.replace(/\{\{(user_text|tool_result|tool_result_is_error)\}\}/g, (_, name: string) =>
    name === 'user_text' ? lastUserText(request) : name === 'tool_result' ? result.text : String(result.isError),
  );
}

const messagesOf = (request: Obj): Obj[] => (Array.isArray(request.messages) ? request.messages.filter(isObj) : []);
const blocksOf = (content: unknown): Obj[] => (Array.isArray(content) ? content.filter(isObj) : []);

// Walks back past user turns that only carry tool_results, so after a tool round the
// "user text" is still the human's last words rather than an empty string.
function lastUserText(request: Obj): string {
  for (const msg of messagesOf(request).reverse()) {
    if (msg.role !== 'user') continue;
    if (typeof msg.content === 'string') return msg.content;
    const texts = blocksOf(msg.content).filter((b) => b.type === 'text' && typeof b.text === 'string');
    if (texts.length > 0) return texts[texts.length - 1]!.text as string;
  }
  return '';
}

function lastToolResult(request: Obj): { text: string; isError: boolean } {
  for (const msg of messagesOf(request).reverse()) {
    const block = blocksOf(msg.content).reverse().find((b) => b.type === 'tool_result');
    if (!block) continue;
    const text =
      typeof block.content === 'string'
        ? block.content
        : blocksOf(block.content)
            .filter((b) => b.type === 'text' && typeof b.text === 'string')
            .map((b) => b.text as string)
            .join('\n');
    return { text, isError: block.is_error === true };
  }
  return { text: '', isError: false };
}

// ---- usage and prompt caching --------------------------------------------------------

function estimateUsage(request: Obj, content: Obj[], cachedPrefixes: Set<string>): Usage {
  const outChars = content.reduce((n, b) => n + (b.type === 'text' ? String(b.text).length : json(b.input).length), 0);
  const totalIn = estimateTokens(json(request.tools).length + json(request.system).length + json(request.messages).length);
  const usage: Usage = {
    input_tokens: totalIn,
    output_tokens: Math.max(1, estimateTokens(outChars)),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    service_tier: 'standard',
  };
  const prefix = cachePrefix(request);
  if (!prefix) return usage;

  const tokens = estimateTokens(prefix.json.length);
  const hash = createHash('sha256').update(prefix.json).digest('hex');
  usage.input_tokens = Math.max(1, totalIn - tokens);
  if (cachedPrefixes.has(hash)) {
    usage.cache_read_input_tokens = tokens;
  } else {
    cachedPrefixes.add(hash);
    usage.cache_creation_input_tokens = tokens;
    if (prefix.ttl === '1h') usage.cache_creation.ephemeral_1h_input_tokens = tokens;
    else usage.cache_creation.ephemeral_5m_input_tokens = tokens;
  }
  return usage;
}

// The real API caches tools, then system, up to the last cache_control breakpoint.
// (Breakpoints inside messages are not simulated.)
function cachePrefix(request: Obj): { json: string; ttl: '5m' | '1h' } | null {
  const tools = Array.isArray(request.tools) ? request.tools : [];
  const system = Array.isArray(request.system) ? request.system : typeof request.system === 'string' ? [request.system] : [];
  const blocks: unknown[] = [...tools, ...system];
  let last = -1; // (findLastIndex needs lib es2023)
  blocks.forEach((b, i) => {
    if (isObj(b) && isObj(b.cache_control)) last = i;
  });
  if (last < 0) return null;
  const marker = (blocks[last] as Obj).cache_control as Obj;
  return { json: JSON.stringify(blocks.slice(0, last + 1)), ttl: marker.ttl === '1h' ? '1h' : '5m' };
}

// ---- HTTP plumbing -------------------------------------------------------------------

// Resolves null when the body is over the limit; still drains it so the client sees our 413
// instead of a reset connection.
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function pickHeaders(req: IncomingMessage): RecordedRequest['headers'] {
  const headers: RecordedRequest['headers'] = {};
  for (const name of ['x-api-key', 'authorization', 'anthropic-version', 'anthropic-beta'] as const) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  send(res, status, { type: 'error', error: { type, message }, request_id: res.getHeader('request-id') });
}

// ---- command line --------------------------------------------------------------------

function parseArgs(argv: string[]): { port: number; host: string } {
  const args = { port: 0, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (flag === '--port' && value !== undefined && /^\d+$/.test(value) && Number(value) <= 65535) args.port = Number(value);
    else if (flag === '--host' && value) args.host = value;
    else throw new Error(`Usage: node src/dev/fake-anthropic.ts [--port 9000] [--host 127.0.0.1] (bad argument: ${argv[i]})`);
  }
  return args;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const fake = await startFakeAnthropic({ ...parseArgs(process.argv.slice(2)), log: (line) => console.error(line) });
    console.log(`fake Anthropic Messages API listening on ${fake.url} (answers are simulated)`);
    const stop = () => void fake.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
