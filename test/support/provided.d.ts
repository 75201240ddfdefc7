// Values vitest's global setup provides to tests (see test/support/node/global-setup.ts).
export {};
declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the fake Anthropic Messages API started for this run. */
    fakeAnthropicUrl: string;
  }
}
