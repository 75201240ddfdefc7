// Secrets are set with `wrangler secret put` (or `.dev.vars` locally), so `wrangler types`
// cannot see them in wrangler.toml; they are declared here instead.
interface Env {
  /** Bearer token for the admin API. Unset means the admin API answers 503. */
  ADMIN_TOKEN?: string;
  /** Key for the Messages API at ANTHROPIC_BASE_URL. */
  ANTHROPIC_API_KEY?: string;
  /** AES-256 keys for `audit.compliance.encryption`: `id:base64`, comma-separated, newest first (src/privacy/encryption.ts). */
  ENCRYPTION_KEYS?: string;
  /**
   * "true" lets configs name private, loopback and plain-http URLs (MCP servers, alert
   * webhooks). Local development and tests only, where the fakes run on 127.0.0.1; never set
   * it in production (src/config/urls.ts).
   */
  ALLOW_PRIVATE_URLS?: string;
}
