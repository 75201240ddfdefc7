/**
 * A fake Slack Web API for tests: `POST /api/chat.postMessage` and `/api/chat.update` answer as
 * Slack does (`{ ok, channel, ts }`, or `{ ok: false, error }` with HTTP 200), keyed by the bot
 * token so parallel tests never see each other's calls. `GET /_calls?token=<t>` lists them.
 * The token `xoxb-invalid` gets `invalid_auth`; `xoxb-ratelimited` gets HTTP 429.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readText } from "./http.ts";

export interface SlackCall {
  method: string;
  body: Record<string, unknown>;
  /** The ts the fake answered with. */
  ts: string;
}

export async function startFakeSlack(): Promise<{ url: string; close(): Promise<void> }> {
  const calls = new Map<string, SlackCall[]>();
  let counter = 0;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-slack");
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && url.pathname === "/_calls") return reply(200, { calls: calls.get(url.searchParams.get("token") ?? "") ?? [] });
    const method = /^\/api\/(chat\.postMessage|chat\.update)$/.exec(url.pathname)?.[1];
    if (req.method !== "POST" || !method) return reply(404, { ok: false, error: "unknown_method" });
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!token) return reply(200, { ok: false, error: "not_authed" });
    if (token === "xoxb-ratelimited") return reply(429, { ok: false, error: "ratelimited" }, { "retry-after": "1" });
    if (token === "xoxb-invalid") return reply(200, { ok: false, error: "invalid_auth" });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readText(req)) as Record<string, unknown>;
    } catch {
      return reply(200, { ok: false, error: "invalid_json" });
    }
    if (typeof body.channel !== "string" || (method === "chat.update" && typeof body.ts !== "string")) {
      return reply(200, { ok: false, error: "channel_not_found" });
    }
    counter += 1;
    const ts = method === "chat.update" ? (body.ts as string) : `1700000000.${String(counter).padStart(6, "0")}`;
    calls.set(token, [...(calls.get(token) ?? []), { method, body, ts }]);
    reply(200, { ok: true, channel: body.channel, ts, message: { text: body.text } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
