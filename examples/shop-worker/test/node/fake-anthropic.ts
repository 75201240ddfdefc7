/**
 * A local stand-in for the Anthropic Messages API, so tests never call the real model (nor pay
 * for it). vitest's global setup starts it on a free port and hands its URL to the worker as
 * ANTHROPIC_BASE_URL (vitest.config.ts). It answers every `POST /v1/messages` with one text
 * block that quotes the customer's last message, in the shape the real API returns.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

interface MessagesRequest {
  model?: string;
  messages?: Array<{ role: string; content: string | Array<{ type: string; text?: string }> }>;
}

function lastUserText(request: MessagesRequest): string {
  const last = request.messages?.filter((m) => m.role === "user").at(-1);
  if (!last) return "";
  if (typeof last.content === "string") return last.content;
  return last.content.flatMap((block) => (block.type === "text" && block.text ? [block.text] : [])).join(" ");
}

export default async function setup(project: TestProject) {
  let served = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      if (req.method !== "POST" || !req.url?.startsWith("/v1/messages")) {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ type: "error", error: { type: "not_found_error", message: "not found" } }));
        return;
      }
      const request = JSON.parse(body) as MessagesRequest;
      served += 1;
      const text = `Thanks for asking: "${lastUserText(request)}". We are open from 9 to 17, Monday to Saturday.`;
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          id: `msg_fake_${served}`,
          type: "message",
          role: "assistant",
          model: request.model ?? "claude-fake",
          content: [{ type: "text", text }],
          stop_reason: "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 200, output_tokens: 40, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("fakeAnthropicUrl", `http://127.0.0.1:${port}`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the local fake Messages API (test/node/fake-anthropic.ts). */
    fakeAnthropicUrl: string;
  }
}
