/** Slack's limit on a section block's text; longer answers are split into several messages. */
export const SLACK_SECTION_LIMIT = 3000;

/**
 * Markdown (as Claude writes it) to Slack mrkdwn: `**bold**` → `*bold*`, `__bold__` → `*bold*`,
 * `~~strike~~` → `~strike~`, `[label](url)` → `<url|label>`, headings → bold lines, and `&`, `<`,
 * `>` escaped as Slack requires. Code spans and blocks are kept as they are.
 */
export function toMrkdwn(markdown: string): string {
  const parts = markdown.split(/(```[\s\S]*?```|`[^`\n]*`)/g);
  return parts
    .map((part, i) => {
      if (i % 2 === 1) return part;
      return part
        .replace(/&/g, "&amp;")
        .replace(/</g, "&lt;")
        .replace(/>/g, "&gt;")
        .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, "<$2|$1>")
        .replace(/^#{1,6}\s+(.+)$/gm, "*$1*")
        .replace(/\*\*(.+?)\*\*/g, "*$1*")
        .replace(/__(.+?)__/g, "*$1*")
        .replace(/~~(.+?)~~/g, "~$1~");
    })
    .join("");
}

/**
 * Splits text into chunks of at most `limit` characters, at a paragraph, line, sentence or
 * word boundary when one exists, never inside a surrogate pair.
 */
export function splitForSlack(text: string, limit = SLACK_SECTION_LIMIT): string[] {
  const chunks: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    let cut = Math.max(window.lastIndexOf("\n\n"), window.lastIndexOf("\n"));
    if (cut < limit / 2) cut = Math.max(cut, window.lastIndexOf(". ") + 1, window.lastIndexOf("! ") + 1, window.lastIndexOf("? ") + 1);
    if (cut < limit / 2) cut = Math.max(cut, window.lastIndexOf(" "));
    if (cut <= 0) cut = limit;
    // Never split a surrogate pair (an emoji).
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    chunks.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) chunks.push(rest);
  return chunks;
}

/** One chunk as a Slack message: mrkdwn text plus the same text in a section block. */
export function slackMessage(chunk: string): { text: string; blocks: Array<Record<string, unknown>> } {
  return { text: chunk, blocks: [{ type: "section", text: { type: "mrkdwn", text: chunk } }] };
}
