// Values vitest's global setup provides to tests (see test/support/node/global-setup.ts).
export {};
declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the fake Anthropic Messages API started for this run. */
    fakeAnthropicUrl: string;
    /** Base URL of the fake Slack Web API (its methods are under /api). */
    fakeSlackUrl: string;
    /** Base URL of the fake Twilio REST API. */
    fakeTwilioUrl: string;
    /** Origin of the fake Cloudflare Access team (test/support/node/fake-access.ts): its certs and a token signer. */
    fakeAccessUrl: string;
    /** Endpoint of the test MCP server (test/support/node/mcp-server.ts), e.g. `http://127.0.0.1:PORT/mcp`. */
    mcpServerUrl: string;
  }
}
