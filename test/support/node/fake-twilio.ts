/**
 * A fake Twilio REST API for tests: `POST /2010-04-01/Accounts/{sid}/Messages.json` answers as
 * Twilio does (201 with a message resource), keyed by account SID. `GET /_sent?account=<sid>`
 * lists what was sent. Sending to +15005550009 answers 429; to +15005550001, 400 (code 21211).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readText } from "./http.ts";

export async function startFakeTwilio(): Promise<{ url: string; close(): Promise<void> }> {
  const sent = new Map<string, Array<Record<string, string>>>();
  let counter = 0;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-twilio");
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && url.pathname === "/_sent") return reply(200, { sent: sent.get(url.searchParams.get("account") ?? "") ?? [] });
    const account = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname)?.[1];
    if (req.method !== "POST" || !account) return reply(404, { code: 20404, message: "The requested resource was not found", status: 404 });
    const auth = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
    if (!auth.startsWith(`${account}:`) || auth.length <= account.length + 1) return reply(401, { code: 20003, message: "Authenticate", status: 401 });
    const form = Object.fromEntries(new URLSearchParams(await readText(req)));
    if (form.To === "+15005550009") return reply(429, { code: 20429, message: "Too Many Requests", status: 429 });
    if (form.To === "+15005550001") return reply(400, { code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 });
    sent.set(account, [...(sent.get(account) ?? []), form]);
    counter += 1;
    reply(201, { sid: `SM${String(counter).padStart(32, "0")}`, status: "queued", to: form.To, from: form.From, body: form.Body });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
