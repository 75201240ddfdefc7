/**
 * A fake Cloudflare Access team for tests: `GET /cdn-cgi/access/certs` publishes the team's
 * signing keys as Access does (`keys` as RS256 JWKs, the current key first, and `public_cert` /
 * `public_certs` in PEM), and the test-only routes sign application tokens:
 *
 * - `POST /_fake/sign` `{ claims, key?: "current" | "previous" | "unpublished", alg? }` → `{ token }`
 * - `POST /_fake/rotate`: a new current key; the current one becomes the previous one
 * - `GET /_fake/fetches`: how many times the certs were fetched
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readText } from "./http.ts";

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
  pem: string;
}

let serial = 0;
function newKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = `kid-${++serial}-${Math.random().toString(16).slice(2)}`;
  return {
    kid,
    privateKey: createPrivateKey(privateKey.export({ format: "pem", type: "pkcs8" })),
    jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" },
    pem: String(publicKey.export({ format: "pem", type: "spki" })),
  };
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

export async function startFakeAccess(): Promise<{ url: string; close(): Promise<void> }> {
  let current = newKey();
  let previous = newKey();
  const unpublished = newKey();
  let fetches = 0;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-access");
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && url.pathname === "/cdn-cgi/access/certs") {
      fetches += 1;
      return reply(200, {
        keys: [current.jwk, previous.jwk],
        public_cert: { kid: current.kid, cert: current.pem },
        public_certs: [current, previous].map((k) => ({ kid: k.kid, cert: k.pem })),
      });
    }
    if (req.method === "GET" && url.pathname === "/_fake/fetches") return reply(200, { fetches });
    if (req.method === "POST" && url.pathname === "/_fake/rotate") {
      previous = current;
      current = newKey();
      return reply(200, { kid: current.kid });
    }
    if (req.method === "POST" && url.pathname === "/_fake/sign") {
      const body = JSON.parse(await readText(req)) as { claims: Record<string, unknown>; key?: string; alg?: string };
      const key = body.key === "previous" ? previous : body.key === "unpublished" ? unpublished : current;
      const header = b64url(JSON.stringify({ alg: body.alg ?? "RS256", kid: key.kid, typ: "JWT" }));
      const payload = b64url(JSON.stringify(body.claims));
      const signature = sign("sha256", Buffer.from(`${header}.${payload}`), key.privateKey);
      return reply(200, { token: `${header}.${payload}.${b64url(signature)}` });
    }
    reply(404, { error: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
