import Anthropic, { APIError } from "@anthropic-ai/sdk";

export interface ModelEndpoint {
  ANTHROPIC_BASE_URL: string;
  ANTHROPIC_API_KEY?: string;
}

/** Retries the SDK makes inside one attempt (three requests in all). */
export const MODEL_MAX_RETRIES = 2;

/** The longest `retry-after` the SDK waits inside one attempt; a longer one ends the attempt. */
export const MAX_INLINE_RETRY_AFTER_S = 10;

/**
 * The official SDK client for the deployment's endpoint. The SDK retries 408/409/429/5xx (529
 * overloaded included) and connection errors twice, waiting the response's `retry-after` or its
 * own backoff (0.5–8 s). It would wait any `retry-after`, however long, while holding the
 * request or the queue consumer: a response asking for more than `MAX_INLINE_RETRY_AFTER_S` is
 * not retried here but ends the attempt, and the HTTP caller (503 with Retry-After) or the work
 * queue (`retryDelaySeconds`) waits instead. So one attempt makes at most three requests and
 * waits at most 2 × 10 s between them. Longer outages are the queue's to ride out (docs/channels.md,
 * "Model outages").
 *
 * @example
 * const client = createModelClient({ ANTHROPIC_BASE_URL: "https://api.anthropic.com", ANTHROPIC_API_KEY: key });
 */
export function createModelClient(env: ModelEndpoint, opts: { maxRetries?: number; timeoutMs?: number; fetch?: typeof fetch } = {}): Anthropic {
  return new Anthropic({
    apiKey: env.ANTHROPIC_API_KEY ?? "",
    baseURL: env.ANTHROPIC_BASE_URL,
    maxRetries: opts.maxRetries ?? MODEL_MAX_RETRIES,
    timeout: opts.timeoutMs ?? 60_000,
    fetch: boundedRetries(opts.fetch ?? ((input, init) => fetch(input, init))),
  });
}

/** Marks a response whose `retry-after` is too long to wait inline as not to be retried by the SDK (its `x-should-retry` rule). */
function boundedRetries(inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    const res = await inner(input, init);
    if (res.ok) return res;
    const wait = waitAsked(res.headers);
    if (wait === undefined || wait <= MAX_INLINE_RETRY_AFTER_S) return res;
    const headers = new Headers(res.headers);
    headers.set("x-should-retry", "false");
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
}

/** The wait a response asks for, in seconds (`retry-after-ms`, else `retry-after` as seconds or an HTTP date). */
function waitAsked(headers: Headers): number | undefined {
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms)) return ms / 1000;
  const raw = headers.get("retry-after");
  if (!raw) return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : (Date.parse(raw) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? seconds : undefined;
}

/** The longest wait a `retry-after` can ask of a retry; longer values are clamped. */
export const MAX_RETRY_AFTER_S = 300;

/**
 * A model API failure that is the provider's, not the agent's: 408, 409, 429, any 5xx (529
 * overloaded included) or no response at all (connection refused, timeout). Null for anything
 * else, notably the other 4xx (unknown model, bad key, malformed request), which retrying
 * cannot fix. `retryAfter` is the response's `retry-after` in seconds (clamped), when it sent one.
 *
 * @example
 * const outage = providerOutage(err);
 * if (outage) retryLater(outage.retryAfter ?? 30);
 */
export function providerOutage(err: unknown): { status: number | undefined; retryAfter: number | undefined } | null {
  if (!(err instanceof APIError)) return null;
  const status: number | undefined = err.status;
  const transient = status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
  if (!transient) return null;
  return { status, retryAfter: retryAfterSeconds(err.headers) };
}

/** `retry-after` as whole seconds (RFC 9110 §10.2.3: delta-seconds or an HTTP date), clamped to 1–300. */
function retryAfterSeconds(headers: unknown): number | undefined {
  if (!(headers instanceof Headers)) return undefined;
  const seconds = waitAsked(headers);
  if (seconds === undefined) return undefined;
  return Math.min(MAX_RETRY_AFTER_S, Math.max(1, Math.ceil(seconds)));
}
