import Anthropic from "@anthropic-ai/sdk";

export interface ModelEndpoint {
  ANTHROPIC_BASE_URL: string;
  ANTHROPIC_API_KEY?: string;
}

/**
 * The official SDK client for the deployment's endpoint. The SDK retries 408/409/429/5xx and
 * honours `retry-after` up to 60 s; two retries keep a synchronous HTTP reply within reach.
 *
 * @example
 * const client = createModelClient({ ANTHROPIC_BASE_URL: "https://api.anthropic.com", ANTHROPIC_API_KEY: key });
 */
export function createModelClient(env: ModelEndpoint, opts: { maxRetries?: number; timeoutMs?: number } = {}): Anthropic {
  return new Anthropic({
    apiKey: env.ANTHROPIC_API_KEY ?? "",
    baseURL: env.ANTHROPIC_BASE_URL,
    maxRetries: opts.maxRetries ?? 2,
    timeout: opts.timeoutMs ?? 60_000,
  });
}
