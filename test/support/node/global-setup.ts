import type { TestProject } from "vitest/node";
import { startFakeAnthropic } from "../../../src/dev/fake-anthropic.ts";
import { startFakeAccess } from "./fake-access.ts";
import { startFakeSlack } from "./fake-slack.ts";
import { startFakeTwilio } from "./fake-twilio.ts";
import { startMcpServer } from "./mcp-server.ts";

/** One fake Messages API, one MCP server and one fake Slack API, one fake Twilio API and one fake Cloudflare Access team for the whole run; tests key their state by agent id or test key. */
export default async function setup(project: TestProject) {
  const fake = await startFakeAnthropic({ port: 0 });
  project.provide("fakeAnthropicUrl", fake.url);
  const mcp = await startMcpServer({ port: 0 });
  project.provide("mcpServerUrl", mcp.url);
  const slack = await startFakeSlack();
  project.provide("fakeSlackUrl", slack.url);
  const twilio = await startFakeTwilio();
  project.provide("fakeTwilioUrl", twilio.url);
  const access = await startFakeAccess();
  project.provide("fakeAccessUrl", access.url);
  return async () => {
    await Promise.all([fake.close(), mcp.close(), slack.close(), twilio.close(), access.close()]);
  };
}
