import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { handleEmail } from "../../src/channels/email/handler";
import { MAX_EMAIL_ATTACHMENTS, parseEmail } from "../../src/channels/email/parse";
import { systemClock } from "../../src/core/clock";
import type { WorkMessage } from "../../src/core/messages";
import { workMessageSchema } from "../../src/core/messages";
import { crlf, emailAgent, inbound } from "../support/email";
import { anyText, objectRows, RUNS } from "./support";

const headerValue = fc.oneof(
  fc.constantFrom("Ana <ana@example.org>", "ana@example.org, bob@example.org", "<>", "=?utf-8?B?w6k=?= <x@y.z>", "<id-1@example.org>", "auto-replied", "bulk", "high"),
  anyText.map((t) => t.replace(/[\r\n]/g, " ")),
);
const header = fc.tuple(
  fc.constantFrom("From", "To", "Subject", "Message-ID", "In-Reply-To", "References", "Auto-Submitted", "Precedence", "Importance", "Content-Type", "Content-Transfer-Encoding", "X-Odd"),
  headerValue,
);
const contentType = fc.constantFrom("text/plain; charset=utf-8", "text/html", 'multipart/mixed; boundary="b1"', "multipart/alternative; boundary=", "application/pdf", "text/plain; charset=x-unknown");
const part = fc.tuple(contentType, fc.constantFrom("", "base64", "quoted-printable", "8bit"), fc.option(anyText, { nil: undefined }), anyText);

/** A raw message: arbitrary headers (some repeated, some malformed), a body, maybe multipart with odd parts; or plain bytes. */
const rawMail = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(fc.array(header, { maxLength: 8 }), fc.constantFrom("text/plain", 'multipart/mixed; boundary="b1"'), fc.array(part, { maxLength: 3 }), anyText).map(
      ([headers, type, parts, text]) =>
        crlf([
          "From: Ana <ana@example.org>",
          ...headers.map(([k, v]) => `${k}: ${v}`),
          `Content-Type: ${type}`,
          "",
          text,
          ...parts.flatMap(([ct, enc, name, content]) => [
            "--b1",
            `Content-Type: ${ct}${name !== undefined ? `; name="${name.replace(/"/g, "")}"` : ""}`,
            ...(enc ? [`Content-Transfer-Encoding: ${enc}`] : []),
            ...(name !== undefined ? [`Content-Disposition: attachment; filename="${name.replace(/"/g, "")}"`] : []),
            "",
            content,
          ]),
          ...(parts.length > 0 ? ["--b1--"] : []),
          "",
        ]),
    ),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => new TextDecoder().decode(bytes)) },
);
const envelopeFrom = fc.oneof(fc.constantFrom("ana@example.org", "", "<>", "mailer-daemon@example.org"), anyText);

describe("raw email, parsed", () => {
  it("never throws, and keeps at most 20 attachments with well-formed types and bounded ids", async () => {
    await fc.assert(
      fc.asyncProperty(rawMail, envelopeFrom, async (raw, from) => {
        const mail = await parseEmail(new TextEncoder().encode(raw).buffer as ArrayBuffer, from);
        expect(mail.attachments.length).toBeLessThanOrEqual(MAX_EMAIL_ATTACHMENTS);
        for (const a of mail.attachments) {
          expect(a.mimeType).toMatch(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/);
          expect(a.filename.length).toBeLessThanOrEqual(200);
        }
        for (const id of [mail.messageId, mail.inReplyTo, ...mail.references]) if (id !== null) expect(id.length).toBeLessThanOrEqual(500);
      }),
      { seed: RUNS.seed, numRuns: 200 },
    );
  });
});

describe("the email handler, with any raw message", () => {
  it("queues only messages the work queue can read, and a refused or failed one leaves no receipt", async () => {
    const agentId = await emailAgent();
    const to = `${agentId}@shop.example`;
    const queued: WorkMessage[] = [];
    await fc.assert(
      fc.asyncProperty(rawMail, envelopeFrom, async (raw, from) => {
        const before = await objectRows(agentId);
        const queuedBefore = queued.length;
        const { message, rejected } = inbound(raw, { from, to });
        let failed: unknown = null;
        await handleEmail(message, { env, queue: { send: async (m) => void queued.push(m) }, clock: systemClock }).catch((err: unknown) => {
          failed = err;
        });
        expect(failed).toBeNull();
        for (const m of queued.slice(queuedBefore)) expect(workMessageSchema.safeParse(m).success).toBe(true);
        if (rejected.length > 0) {
          expect(queued.length).toBe(queuedBefore);
          expect(await objectRows(agentId)).toEqual(before);
        }
      }),
      RUNS,
    );
    // Some of the generated mail was answerable.
    expect(queued.length).toBeGreaterThan(0);
  });
});
