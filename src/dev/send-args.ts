/**
 * The command line of `npm run send`: the message, and the conversation it belongs to. Each send
 * opens a conversation of its own unless `--conversation ID` (or FOREMAN_CONVERSATION) names one
 * to continue: only a conversation's opening message may be answered from a cache or a learned
 * pattern, so repeats sent into one conversation would never show either.
 */

/** What the HTTP channel accepts as a conversation id (src/channels/http/parse.ts). */
const CONVERSATION_ID = /^[\x21-\x7e]{1,200}$/;

export const SEND_USAGE = 'usage: npm run send -- [--conversation ID] "your message"';

export type SendArgs =
  | { ok: true; text: string; conversation: string; continued: boolean }
  | { ok: false; error: string };

/**
 * Reads `argv` (after the script name). `conversation` falls back to `envConversation`
 * (FOREMAN_CONVERSATION), then to a fresh id from `freshId`.
 *
 * @example
 * parseSendArgs(["--conversation", "order-7", "Where is my order?"]);
 * // { ok: true, text: "Where is my order?", conversation: "order-7", continued: true }
 * parseSendArgs(["Hello!"]); // { ok: true, text: "Hello!", conversation: "cli-<uuid>", continued: false }
 */
export function parseSendArgs(argv: readonly string[], envConversation?: string, freshId: () => string = () => `cli-${crypto.randomUUID()}`): SendArgs {
  const words: string[] = [];
  let conversation = envConversation;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "--conversation" || arg.startsWith("--conversation=")) {
      const value = arg === "--conversation" ? argv[++i] : arg.slice("--conversation=".length);
      if (value === undefined || value === "") return { ok: false, error: `--conversation needs an id: --conversation ID\n${SEND_USAGE}` };
      conversation = value;
      continue;
    }
    if (arg.startsWith("--")) return { ok: false, error: `unknown option ${arg}\n${SEND_USAGE}` };
    words.push(arg);
  }
  const text = words.join(" ").trim();
  if (!text) return { ok: false, error: SEND_USAGE };
  if (conversation !== undefined && !CONVERSATION_ID.test(conversation)) {
    return { ok: false, error: `conversation "${conversation}" is not a valid id: use 1 to 200 printable ASCII characters without spaces` };
  }
  return conversation === undefined ? { ok: true, text, conversation: freshId(), continued: false } : { ok: true, text, conversation, continued: true };
}
