import type { TestProject } from "vitest/node";
import { startFakeAnthropic } from "../../../src/dev/fake-anthropic.ts";

/** One fake Messages API for the whole run; tests script it per agent id. */
export default async function setup(project: TestProject) {
  const fake = await startFakeAnthropic({ port: 0 });
  project.provide("fakeAnthropicUrl", fake.url);
  return async () => {
    await fake.close();
  };
}
