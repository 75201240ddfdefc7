import { describe, expect, it } from "vitest";
import { SIGNATURE_TOLERANCE_SECONDS, signHttpRequest, verifyHttpRequest } from "../../src/channels/http/signature";

const SECRET = "whsec-test-3f9a";
const NOW = 1_760_000_000;
const BODY = '{"id":"msg-1","conversation":"c1","from":"user-1","text":"When do you open?"}';

/** HMAC-SHA256 written out with WebCrypto here, so the tests pin the wire format, not the code against itself. */
async function referenceSignature(secret: string, timestamp: number | string, body: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, enc.encode(`v1:${timestamp}:${body}`));
  return `v1=${Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function verify(overrides: Partial<Parameters<typeof verifyHttpRequest>[0]> = {}) {
  return verifyHttpRequest({ secret: SECRET, timestamp: String(NOW), signature: undefined, rawBody: BODY, nowSeconds: NOW, ...overrides });
}

describe("signHttpRequest", () => {
  it("writes v1= followed by 64 lowercase hex characters", async () => {
    expect(await signHttpRequest(SECRET, NOW, BODY)).toMatch(/^v1=[0-9a-f]{64}$/);
  });

  it("is HMAC-SHA256 of v1:<timestamp>:<body> keyed with the secret", async () => {
    expect(await signHttpRequest(SECRET, NOW, BODY)).toBe(await referenceSignature(SECRET, NOW, BODY));
  });

  it("reproduces a fixed example computed outside this codebase (Node's crypto.createHmac)", async () => {
    // node -e 'crypto.createHmac("sha256", SECRET).update(`v1:${NOW}:${BODY}`).digest("hex")'
    expect(await signHttpRequest(SECRET, NOW, BODY)).toBe("v1=26b64186ed29e2f86452de93bf247e8768fc7a23290a3a3ae9fd7a03e9c303a0");
  });

  it("gives a different signature for another timestamp, body or secret", async () => {
    const base = await signHttpRequest(SECRET, NOW, BODY);
    expect(await signHttpRequest(SECRET, NOW + 1, BODY)).not.toBe(base);
    expect(await signHttpRequest(SECRET, NOW, `${BODY} `)).not.toBe(base);
    expect(await signHttpRequest(`${SECRET}x`, NOW, BODY)).not.toBe(base);
  });
});

describe("verifyHttpRequest", () => {
  it("accepts a request signed with the same secret", async () => {
    expect(await verify({ signature: await signHttpRequest(SECRET, NOW, BODY) })).toEqual({ ok: true });
  });

  it("accepts a signature computed independently from the documented format", async () => {
    expect(await verify({ signature: await referenceSignature(SECRET, NOW, BODY) })).toEqual({ ok: true });
  });

  it("accepts a signature with surrounding whitespace", async () => {
    expect(await verify({ signature: ` ${await signHttpRequest(SECRET, NOW, BODY)} ` })).toEqual({ ok: true });
  });

  it("accepts a unicode body", async () => {
    const rawBody = JSON.stringify({ id: "m", conversation: "c", from: "u", text: "Grüße, 東京 👋 — ¿qué tal?" });
    expect(await verify({ rawBody, signature: await referenceSignature(SECRET, NOW, rawBody) })).toEqual({ ok: true });
    expect(await verify({ rawBody, signature: await signHttpRequest(SECRET, NOW, rawBody) })).toEqual({ ok: true });
  });

  it("accepts an empty body when it is signed", async () => {
    expect(await verify({ rawBody: "", signature: await referenceSignature(SECRET, NOW, "") })).toEqual({ ok: true });
  });

  it("refuses a request without a signature or without a timestamp as missing_signature", async () => {
    const signature = await signHttpRequest(SECRET, NOW, BODY);
    expect(await verify({ signature: undefined })).toEqual({ ok: false, reason: "missing_signature" });
    expect(await verify({ signature, timestamp: undefined })).toEqual({ ok: false, reason: "missing_signature" });
    expect(await verify({ signature: "" })).toEqual({ ok: false, reason: "missing_signature" });
    expect(await verify({ signature, timestamp: "" })).toEqual({ ok: false, reason: "missing_signature" });
  });

  it("refuses a timestamp that is not a plain count of seconds as malformed_timestamp", async () => {
    const signature = await signHttpRequest(SECRET, NOW, BODY);
    for (const timestamp of ["abc", "1.5", "-1", "+1760000000", " 1760000000", "1e9", "0x10", "1234567890123"]) {
      expect(await verify({ signature, timestamp }), timestamp).toEqual({ ok: false, reason: "malformed_timestamp" });
    }
  });

  it("accepts a request 299 seconds old or 299 seconds ahead", async () => {
    for (const ts of [NOW - 299, NOW + 299]) {
      const signature = await signHttpRequest(SECRET, ts, BODY);
      expect(await verify({ timestamp: String(ts), signature }), String(ts)).toEqual({ ok: true });
    }
  });

  it("accepts a request exactly at the five-minute tolerance", async () => {
    expect(SIGNATURE_TOLERANCE_SECONDS).toBe(300);
    const ts = NOW - 300;
    expect(await verify({ timestamp: String(ts), signature: await signHttpRequest(SECRET, ts, BODY) })).toEqual({ ok: true });
  });

  it("refuses a correctly signed request 301 seconds old or 301 seconds ahead as stale_timestamp", async () => {
    for (const ts of [NOW - 301, NOW + 301]) {
      const signature = await signHttpRequest(SECRET, ts, BODY);
      expect(await verify({ timestamp: String(ts), signature }), String(ts)).toEqual({ ok: false, reason: "stale_timestamp" });
    }
  });

  it("refuses a body with one changed byte as bad_signature", async () => {
    const signature = await signHttpRequest(SECRET, NOW, BODY);
    const tampered = BODY.replace("When", "Whan");
    expect(tampered).not.toBe(BODY);
    expect(tampered.length).toBe(BODY.length);
    expect(await verify({ signature, rawBody: tampered })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses a signature made with another secret as bad_signature", async () => {
    const signature = await signHttpRequest("another-secret", NOW, BODY);
    expect(await verify({ signature })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses a signature for another timestamp than the one sent as bad_signature", async () => {
    const signature = await signHttpRequest(SECRET, NOW - 10, BODY);
    expect(await verify({ signature, timestamp: String(NOW) })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses the bare hex digest without the v1= prefix as bad_signature", async () => {
    const signature = await signHttpRequest(SECRET, NOW, BODY);
    expect(await verify({ signature: signature.slice("v1=".length) })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify({ signature: signature.replace("v1=", "v0=") })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses a truncated or extended signature as bad_signature", async () => {
    const signature = await signHttpRequest(SECRET, NOW, BODY);
    expect(await verify({ signature: signature.slice(0, -1) })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify({ signature: `${signature}0` })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("reports a stale or malformed timestamp even when the signature is also wrong", async () => {
    expect(await verify({ signature: "v1=garbage", timestamp: String(NOW - 1000) })).toEqual({ ok: false, reason: "stale_timestamp" });
    expect(await verify({ signature: "v1=garbage", timestamp: "soon" })).toEqual({ ok: false, reason: "malformed_timestamp" });
  });
});
