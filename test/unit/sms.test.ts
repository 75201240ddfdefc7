import { describe, expect, it } from "vitest";
import { smsKeyword } from "../../src/channels/sms/keywords";
import { fitToSegments, segmentInfo } from "../../src/channels/sms/segments";
import { twilioSignature, verifyTwilioRequest } from "../../src/channels/sms/verify";

describe("Twilio signatures", () => {
  // Twilio's published example (docs "Validating requests", api-snippets signature_validation).
  const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const params: Array<[string, string]> = [
    ["CallSid", "CA1234567890ABCDE"],
    ["Caller", "+14158675309"],
    ["Digits", "1234"],
    ["From", "+14158675309"],
    ["To", "+18005551212"],
  ];

  it("matches Twilio's published example signature", async () => {
    expect(await twilioSignature("12345", url, params)).toBe("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  });

  it("sorts parameters by name, whatever order they arrive in", async () => {
    expect(await twilioSignature("12345", url, [...params].reverse())).toBe("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  });

  it("refuses a changed parameter, another URL, another token or no signature", async () => {
    const ok = { authToken: "12345", url, params, signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=" };
    expect(await verifyTwilioRequest(ok)).toBe(true);
    expect(await verifyTwilioRequest({ ...ok, params: [...params.slice(0, 4), ["To", "+18005551213"]] })).toBe(false);
    expect(await verifyTwilioRequest({ ...ok, url: "https://mycompany.com/myapp.php?foo=1&bar=3" })).toBe(false);
    expect(await verifyTwilioRequest({ ...ok, authToken: "54321" })).toBe(false);
    expect(await verifyTwilioRequest({ ...ok, signature: undefined })).toBe(false);
  });
});

describe("SMS segments", () => {
  it("counts GSM-7 at 160 for one segment and 153 per segment beyond", () => {
    expect(segmentInfo("a".repeat(160))).toEqual({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(segmentInfo("a".repeat(161)).segments).toBe(2);
    expect(segmentInfo("a".repeat(306)).segments).toBe(2);
    expect(segmentInfo("a".repeat(307)).segments).toBe(3);
  });

  it("counts extension characters as two septets", () => {
    expect(segmentInfo("€".repeat(80))).toEqual({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(segmentInfo("€".repeat(81)).segments).toBe(2);
  });

  it("switches the whole message to UCS-2 for one character outside GSM-7 (70, then 67)", () => {
    expect(segmentInfo(`${"a".repeat(69)}ł`)).toEqual({ encoding: "UCS-2", units: 70, segments: 1 });
    expect(segmentInfo(`${"a".repeat(70)}ł`).segments).toBe(2);
    expect(segmentInfo("👋").units).toBe(2);
  });

  it("fits a 500-character answer into three segments at a sentence end", () => {
    const answer = Array.from({ length: 10 }, (_, i) => `Sentence ${i} says something useful here.`).join(" ") + " " + "x".repeat(100);
    expect(answer.length).toBeGreaterThan(450);
    const fitted = fitToSegments(answer, 3);
    expect(segmentInfo(fitted).segments).toBeLessThanOrEqual(3);
    expect(fitted.endsWith(".")).toBe(true);
    expect(answer.startsWith(fitted)).toBe(true);
  });

  it("never cuts inside a character", () => {
    const emoji = "😀".repeat(200);
    const fitted = fitToSegments(emoji, 2);
    expect(segmentInfo(fitted).segments).toBeLessThanOrEqual(2);
    expect(fitted.replace("…", "")).toMatch(/^(😀)+$/u);
  });

  it("leaves a text that fits alone", () => {
    expect(fitToSegments("  Open 9 to 5.  ", 1)).toBe("Open 9 to 5.");
  });
});

describe("SMS keywords", () => {
  it("knows Twilio's opt-out, opt-in and help words, only as the whole message", () => {
    for (const w of ["STOP", "stop", "Unsubscribe", "CANCEL", "end", "QUIT", "stopall"]) expect(smsKeyword(w), w).toBe("stop");
    for (const w of ["START", "yes", "UNSTOP"]) expect(smsKeyword(w), w).toBe("start");
    for (const w of ["HELP", "info"]) expect(smsKeyword(w), w).toBe("help");
    for (const w of ["STOP PLEASE", "please stop", "help me with my order", ""]) expect(smsKeyword(w), w).toBeNull();
  });
});
