import type { Attachment, ChannelType } from "../core/types";

export type { ChannelType };

/** Inputs are cut to this many UTF-8 bytes before any other work, so the cost of a message is bounded. */
export const MAX_INPUT_BYTES = 64 * 1024;

/**
 * Cleans a message's text of its channel's markup. Pure and synchronous. Every channel gets
 * NFC, invisible characters removed (ZWJ/ZWNJ kept), `\n` line endings, runs of spaces and tabs
 * collapsed, at most one blank line in a row, and a trim. Then Slack loses its markup, email its
 * quoted history and signature (never down to nothing), and SMS all line breaks.
 *
 * Slack's entity decoding is applied once: normalise at the edge, not text already normalised
 * (`&amp;lt;` is `&lt;` after one pass and `<` after two).
 *
 * @example
 * normalizeChannelText("slack", "<@U0BOT> is <https://shop.example|the shop> open?") // "is the shop (https://shop.example) open?"
 * normalizeChannelText("email", "Yes please.\n\nOn Mon, 2 Mar 2026, Shop <s@shop.example> wrote:\n> Shall we?") // "Yes please."
 * normalizeChannelText("sms", " open\n\ntoday? ") // "open today?"
 */
export function normalizeChannelText(channel: ChannelType, text: string): string {
  const base = collapseWhitespace(normalizeCharacters(truncateUtf8(text, MAX_INPUT_BYTES)));
  switch (channel) {
    case "http":
      return base;
    case "sms":
      return flattenWhitespace(base);
    case "slack":
      // Decoding `&lt;` before a combining mark can make a pair NFC composes (`<` + U+0338 → `≮`).
      return collapseWhitespace(stripSlackMarkup(base).normalize("NFC"));
    case "email":
      // A reply that is only a quote or only a sign-off still says something: keep it whole.
      return collapseWhitespace(stripEmailSignature(collapseWhitespace(stripQuotedReply(base)))) || base;
  }
}

/**
 * A message's text as the agent gets it: cleaned by `normalizeChannelText` when the agent's
 * `messageHandling.normalizeInput` is on (the default), otherwise only bounded and trimmed.
 * Adapters call it once, on the text exactly as the provider sent it.
 *
 * @example
 * prepareText(true, "sms", " open\n\ntoday? ")  // "open today?"
 * prepareText(false, "slack", "<@U0BOT> hi ")   // "<@U0BOT> hi"
 */
export function prepareText(normalizeInput: boolean, channel: ChannelType, text: string): string {
  const raw = truncateUtf8(text, MAX_INPUT_BYTES).trim();
  return normalizeInput ? normalizeChannelText(channel, raw) || raw : raw;
}

/**
 * One line per attachment for the model, since the model sees text: name, type, size, and
 * where the content is when it was kept.
 *
 * @example
 * attachmentNotes([{ name: "receipt.pdf", mimeType: "application/pdf", size: 5120, ref: "attachments/ab/receipt.pdf" }])
 * // "[Attachment: receipt.pdf (application/pdf, 5120 bytes), saved as attachments/ab/receipt.pdf]"
 */
export function attachmentNotes(attachments: readonly Attachment[]): string {
  return attachments
    .map((a) => {
      const facts = [a.mimeType, ...(a.size !== undefined ? [`${a.size} bytes`] : [])].join(", ");
      const where = a.ref ? (/^https?:/.test(a.ref) ? `, at ${a.ref}` : `, saved as ${a.ref}`) : ", not kept";
      return `[Attachment: ${a.name} (${facts})${where}]`;
    })
    .join("\n");
}

/** A message's text with its attachment notes after it (or the notes alone when it has no text). */
export function withAttachmentNotes(text: string, attachments: readonly Attachment[]): string {
  const notes = attachmentNotes(attachments);
  return [text, notes].filter(Boolean).join("\n\n");
}

const encoder = new TextEncoder();

/**
 * The longest prefix of `text` that is at most `maxBytes` bytes of UTF-8, never ending inside a
 * code point.
 *
 * @example
 * truncateUtf8("héllo", 2) // "h" (é is two bytes and does not fit)
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  // Every UTF-16 unit is at least one byte, so the first `maxBytes` units hold the answer.
  const head = text.length > maxBytes ? text.slice(0, maxBytes) : text;
  if (head.length * 3 <= maxBytes) return head;
  const bytes = encoder.encode(head);
  if (bytes.length <= maxBytes) return head;
  let end = maxBytes;
  // UTF-8 continuation bytes are 0b10xxxxxx (RFC 3629 §3): back up to the start of a character.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

/** Zero-width space, word joiner, BOM and soft hyphen; ZWJ (U+200D) and ZWNJ (U+200C) shape emoji and scripts, so they stay. */
const INVISIBLE = /[\u200B\u2060\uFEFF\u00AD]/g;
const LINE_BREAK = /\r\n?|[\u2028\u2029]/g;

/**
 * Character-level cleaning: invisible characters removed, Unicode NFC, and CRLF, CR, U+2028 and
 * U+2029 as `\n`.
 *
 * @example
 * normalizeCharacters("cafe\u0301\u200B\r\n") // "café\n"
 */
export function normalizeCharacters(text: string): string {
  // Removal first: a soft hyphen between a letter and its accent would block composition.
  return text.replace(INVISIBLE, "").normalize("NFC").replace(LINE_BREAK, "\n");
}

/**
 * Runs of spaces and tabs become one space, lines lose trailing whitespace, blank lines come at
 * most one in a row, and the whole is trimmed.
 *
 * @example
 * collapseWhitespace("  Hi\t\tthere  \n\n\n\nBye ") // "Hi there\n\nBye"
 */
export function collapseWhitespace(text: string): string {
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[ \t]+/g, " ").trimEnd();
    if (line === "" && (out.length === 0 || out[out.length - 1] === "")) continue;
    out.push(line);
  }
  return out.join("\n").trim();
}

/**
 * All whitespace, line breaks included, as single spaces: an SMS is one paragraph.
 *
 * @example
 * flattenWhitespace(" Is it\n\nopen? ") // "Is it open?"
 */
export function flattenWhitespace(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

// ---------------------------------------------------------------- slack

/** One `<…>` token. Slack escapes `<`, `>` and `&` in what users type, so every `<` left is markup. */
const SLACK_TOKEN = /<([^<>\n]*)>/g;
const SLACK_ENTITY = /&(lt|gt|amp);/g;
const SLACK_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&" };
const SLACK_ID = /^[A-Z0-9]+$/;

/**
 * Slack's message formatting ("Formatting text for app surfaces") to plain text: user mentions
 * and `@here`/`@channel`/`@everyone` removed, channels as `#name`, links as `label (url)`, mail
 * links as the address, other `<!…|label>` tokens (user groups, dates) as their label, and
 * `&lt;` `&gt;` `&amp;` decoded in one pass. `*bold*`, `_italic_` and `~strike~` stay: they
 * carry meaning for the model.
 *
 * @example
 * stripSlackMarkup("<@U0BOT> see <#C024BE7LR|refunds> &amp; <https://x.example|the form>") // " see #refunds & the form (https://x.example)"
 */
export function stripSlackMarkup(text: string): string {
  return text
    .replace(SLACK_TOKEN, (token, inner: string) => slackToken(inner) ?? token)
    .replace(SLACK_ENTITY, (_, name: string) => SLACK_ENTITIES[name] ?? "");
}

/** The plain text for the inside of one `<…>` token, or null to leave the token as it is. */
function slackToken(inner: string): string | null {
  const bar = inner.indexOf("|");
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? "" : inner.slice(bar + 1);
  if (target.startsWith("@")) return SLACK_ID.test(target.slice(1)) ? "" : null;
  if (target.startsWith("#")) return SLACK_ID.test(target.slice(1)) ? `#${label || target.slice(1)}` : null;
  if (target.startsWith("!")) return ["!here", "!channel", "!everyone"].includes(target) ? "" : label;
  if (/^https?:/i.test(target)) return label && label !== target ? `${label} (${target})` : target;
  if (/^mailto:/i.test(target)) {
    const address = target.slice("mailto:".length);
    return label && label !== address ? `${label} (${address})` : address;
  }
  return null;
}

// ---------------------------------------------------------------- email: quoted history

/** "On <date>, <name> wrote:" and its translations; `anywhere` when the name follows the verb. */
const ATTRIBUTIONS: ReadonlyArray<{ prefix: string; verb: string; anywhere?: boolean }> = [
  { prefix: "on ", verb: " wrote" },
  { prefix: "le ", verb: " a écrit" },
  { prefix: "am ", verb: " schrieb", anywhere: true },
  { prefix: "el ", verb: " escribió" },
  { prefix: "il ", verb: " ha scritto" },
  { prefix: "em ", verb: " escreveu" },
  { prefix: "op ", verb: " schreef", anywhere: true },
];
const MAX_ATTRIBUTION_CHARS = 400;

const ORIGINAL_MESSAGE_RULES = new Set(["original message", "message d'origine", "ursprüngliche nachricht", "mensaje original", "messaggio originale", "mensagem original"]);

// Outlook's header block, in the languages it is most often installed in.
const FROM_LABELS = ["from:", "de:", "de :", "von:", "da:"];
const SENT_LABELS = ["sent:", "date:", "envoyé :", "envoyé:", "gesendet:", "datum:", "enviado:", "enviado el:", "fecha:", "inviato:", "data:"];
const SUBJECT_LABELS = ["subject:", "objet :", "objet:", "betreff:", "asunto:", "oggetto:", "assunto:"];
const HEADER_BLOCK_LINES = 5;

/**
 * The new part of a reply: lines quoted with `>` dropped, and everything cut from the first
 * attribution line ("On … wrote:", "Le … a écrit :", "Am … schrieb …:", "El … escribió:", also
 * when the client wrapped it over two lines), `-----Original Message-----` rule, or Outlook
 * `From:`/`Sent:`/`Subject:` header block (with the `_____` rule above it). May return "".
 *
 * @example
 * stripQuotedReply("Blue, please.\n\nOn Mon, 2 Mar 2026 at 10:12, Shop <s@shop.example> wrote:\n> Which colour?") // "Blue, please.\n"
 */
export function stripQuotedReply(text: string): string {
  const lines = text.split("\n");
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const t = line.trim();
    if (t.startsWith(">")) continue;
    if (isOriginalMessageRule(t) || isAttribution(t) || isWrappedAttribution(t, lines, i)) break;
    if (isHeaderBlock(lines, i)) {
      while (kept.length > 0 && (kept[kept.length - 1] ?? "").trim() === "") kept.pop();
      if (/^_{5,}$/.test((kept[kept.length - 1] ?? "").trim())) kept.pop();
      break;
    }
    kept.push(line);
  }
  return kept.join("\n");
}

/** Lines after `i` that are not quoted, as the text will read once quotes are gone. */
function* unquotedAfter(lines: readonly string[], i: number): Generator<string> {
  for (let j = i + 1; j < lines.length; j++) {
    const t = (lines[j] ?? "").trim();
    if (!t.startsWith(">")) yield t;
  }
}

function isAttribution(line: string): boolean {
  // Every client's attribution carries the date, so a line without a digit is the writer's own.
  if (line.length > MAX_ATTRIBUTION_CHARS || !line.endsWith(":") || !/\d/.test(line)) return false;
  const l = line.slice(0, -1).trimEnd().toLowerCase().replace(/\s+/g, " ");
  return ATTRIBUTIONS.some((a) => l.startsWith(a.prefix) && (a.anywhere ? l.includes(a.verb) : l.endsWith(a.verb)));
}

/** Gmail wraps a long attribution at the sender's address: "On …, Shop <" / "s@shop.example> wrote:". */
function isWrappedAttribution(t: string, lines: readonly string[], i: number): boolean {
  if (t.length > MAX_ATTRIBUTION_CHARS) return false;
  const l = t.toLowerCase();
  if (!ATTRIBUTIONS.some((a) => l.startsWith(a.prefix))) return false;
  const next = unquotedAfter(lines, i).next();
  return !next.done && next.value !== "" && isAttribution(`${t} ${next.value}`);
}

function isOriginalMessageRule(t: string): boolean {
  if (t.length > 80 || !t.startsWith("--") || !t.endsWith("--")) return false;
  let start = 0;
  let end = t.length;
  while (start < end && t[start] === "-") start++;
  while (end > start && t[end - 1] === "-") end--;
  return ORIGINAL_MESSAGE_RULES.has(t.slice(start, end).trim().toLowerCase().replace(/\s+/g, " "));
}

function hasLabel(line: string, labels: readonly string[]): boolean {
  // Gmail renders Outlook's bold labels as `*From:*`.
  let t = line.trim();
  while (t.startsWith("*")) t = t.slice(1);
  const head = t.slice(0, 24).toLowerCase().replace(/\s+/g, " ");
  return labels.some((label) => head.startsWith(label));
}

/** `From:` followed, within the next few lines, by `Sent:`/`Date:` and `Subject:`: a travel itinerary is not. */
function isHeaderBlock(lines: readonly string[], i: number): boolean {
  if (!hasLabel(lines[i] ?? "", FROM_LABELS)) return false;
  let sent = false;
  let subject = false;
  let seen = 0;
  for (const t of unquotedAfter(lines, i)) {
    if (t === "") continue;
    sent ||= hasLabel(t, SENT_LABELS);
    subject ||= hasLabel(t, SUBJECT_LABELS);
    if (++seen === HEADER_BLOCK_LINES || (sent && subject)) break;
  }
  return sent && subject;
}

// ---------------------------------------------------------------- email: signatures

/** Closings that end a message with or without punctuation. */
const SIGN_OFFS = new Set([
  "regards", "best regards", "kind regards", "warm regards", "warmest regards", "with kind regards", "best wishes",
  "sincerely", "yours sincerely", "yours faithfully", "yours truly",
  "cordialement", "bien cordialement", "bien à vous", "mit freundlichen grüßen", "mit freundlichen grüssen",
  "freundliche grüße", "viele grüße", "beste grüße", "liebe grüße", "saludos", "un saludo", "saludos cordiales",
  "atentamente", "cordiali saluti", "distinti saluti", "atenciosamente",
]);
/** Closings that are only a closing with a comma: "Thanks!" on its own line is part of the message. */
const SIGN_OFFS_WITH_COMMA = new Set(["thanks", "thank you", "many thanks", "thanks again", "cheers", "best", "merci", "danke", "gracias", "grazie", "obrigado"]);
const MOBILE_FOOTERS = [
  "sent from my ", "sent from outlook", "sent from yahoo mail", "sent from mail for windows", "sent from samsung",
  "get outlook for ios", "get outlook for android", "envoyé de mon ", "envoyé depuis mon ", "enviado desde mi ",
  "enviado do meu ", "inviato da ",
];
/** A closing or footer is followed by at most this many lines of at most this length: a name, a title, a phone number. */
const MAX_SIGNATURE_LINES = 4;
const MAX_SIGNATURE_LINE_CHARS = 60;

/**
 * Drops a signature: the RFC 3676 §4.3 delimiter line `-- ` (or `--`) and everything after it;
 * then, from the end only and as often as they occur, a closing ("Best regards", "Thanks,",
 * "Cheers,", …) or mobile footer ("Sent from my iPhone", "Get Outlook for iOS", …) followed by at
 * most four short lines. May return "".
 *
 * @example
 * stripEmailSignature("Please cancel it.\n\nKind regards,\nAna Customer\nACME Ltd") // "Please cancel it.\n"
 */
export function stripEmailSignature(text: string): string {
  const lines = text.split("\n");
  let end = lines.findIndex((line) => line.trimEnd() === "--");
  if (end < 0) end = lines.length;
  for (let start = closingBlockStart(lines, end); start >= 0; start = closingBlockStart(lines, end)) end = start;
  return lines.slice(0, end).join("\n");
}

/** The first line of the earliest closing block that runs to `end`, or -1. */
function closingBlockStart(lines: readonly string[], end: number): number {
  let start = -1;
  let followers = 0;
  for (let j = end - 1; j >= 0; j--) {
    const t = (lines[j] ?? "").trim();
    if (t === "") continue;
    if (isSignOff(t) || isMobileFooter(t)) start = j;
    if (++followers > MAX_SIGNATURE_LINES || t.length > MAX_SIGNATURE_LINE_CHARS) break;
  }
  return start;
}

function isSignOff(t: string): boolean {
  if (t.length > 40) return false;
  const l = t.toLowerCase().replace(/\s+/g, " ");
  let bare = l;
  while (bare.length > 0 && ",.!".includes(bare[bare.length - 1] ?? "")) bare = bare.slice(0, -1);
  return SIGN_OFFS.has(bare.trimEnd()) || (l.endsWith(",") && SIGN_OFFS_WITH_COMMA.has(l.slice(0, -1).trimEnd()));
}

function isMobileFooter(t: string): boolean {
  // Short, few words: "Sent from my work address, please write to my other one" is a sentence.
  if (t.length > MAX_SIGNATURE_LINE_CHARS || t.split(" ").length > 8) return false;
  const l = t.toLowerCase().replace(/\s+/g, " ");
  return MOBILE_FOOTERS.some((f) => l.startsWith(f)) || (l.startsWith("von meinem ") && /gesendet\.?$/.test(l));
}
