import { describe, expect, it } from "vitest";
import { verifySlackRequest } from "../../src/channels/slack/verify";
import appMention from "../fixtures/slack/app_mention.json?raw";

describe("Slack signatures", () => {
  // Slack's published example ("Verifying requests from Slack", api.slack.com/authentication/verifying-requests-from-slack,
  // "Validating a request"): a slash command body signed with the example signing secret.
  const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5";
  const timestamp = "1531420618";
  const rawBody =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
  const signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
  const ok = { signingSecret, timestamp, signature, rawBody, nowSeconds: Number(timestamp) + 42 };

  it("accepts Slack's published example", async () => {
    expect(await verifySlackRequest(ok)).toEqual({ ok: true });
  });

  it("accepts the example anywhere within five minutes either side of the timestamp", async () => {
    for (const skew of [0, 300, -300]) {
      expect(await verifySlackRequest({ ...ok, nowSeconds: Number(timestamp) + skew }), `skew ${skew}`).toEqual({ ok: true });
    }
  });

  it("refuses a changed body", async () => {
    expect(await verifySlackRequest({ ...ok, rawBody: rawBody.replace("text=&", "text=hello&") })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verifySlackRequest({ ...ok, rawBody: `${rawBody}\n` })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses another signing secret", async () => {
    expect(await verifySlackRequest({ ...ok, signingSecret: "8f742231b10e8888abcd99yyyzzz85a6" })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses a stale (or future) timestamp, even with the right signature", async () => {
    expect(await verifySlackRequest({ ...ok, nowSeconds: Number(timestamp) + 301 })).toEqual({ ok: false, reason: "stale_timestamp" });
    expect(await verifySlackRequest({ ...ok, nowSeconds: Number(timestamp) - 301 })).toEqual({ ok: false, reason: "stale_timestamp" });
    // The real clock today: the 2018 example is long expired.
    expect(await verifySlackRequest({ ...ok, nowSeconds: 1767617041 })).toEqual({ ok: false, reason: "stale_timestamp" });
  });

  it("refuses a replay with a fresh timestamp header, since the timestamp is signed", async () => {
    const fresh = String(Number(timestamp) + 120);
    expect(await verifySlackRequest({ ...ok, timestamp: fresh, nowSeconds: Number(fresh) })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses a missing signature or timestamp header, or a malformed timestamp", async () => {
    expect(await verifySlackRequest({ ...ok, signature: undefined })).toEqual({ ok: false, reason: "missing_signature" });
    expect(await verifySlackRequest({ ...ok, timestamp: undefined })).toEqual({ ok: false, reason: "missing_signature" });
    expect(await verifySlackRequest({ ...ok, signature: "" })).toEqual({ ok: false, reason: "missing_signature" });
    expect(await verifySlackRequest({ ...ok, timestamp: "1531420618.5" })).toEqual({ ok: false, reason: "malformed_timestamp" });
  });

  it("refuses the right digest under another version prefix", async () => {
    expect(await verifySlackRequest({ ...ok, signature: signature.replace(/^v0=/, "v1=") })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verifySlackRequest({ ...ok, signature: signature.slice(3) })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("accepts an Events API JSON body signed the way Slack signs it (independent WebCrypto signer)", async () => {
    const secret = "e3b0c44298fc1c149afbf4c8996fb924";
    const ts = "1767617042";
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`v0:${ts}:${appMention}`)));
    const sig = `v0=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
    const request = { signingSecret: secret, timestamp: ts, signature: sig, rawBody: appMention, nowSeconds: Number(ts) + 1 };
    expect(await verifySlackRequest(request)).toEqual({ ok: true });
    // Re-serialising the parsed JSON changes the bytes, so the signature no longer matches.
    expect(await verifySlackRequest({ ...request, rawBody: JSON.stringify(JSON.parse(appMention)) })).toEqual({ ok: false, reason: "bad_signature" });
  });
});
