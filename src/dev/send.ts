/**
 * `npm run send -- [--conversation ID] "text"`: signs a message with the agent's HTTP secret,
 * sends it to the HTTP channel and prints the reply. Each send opens a new conversation (its id
 * is printed on stderr) unless `--conversation ID` continues one. Settings: FOREMAN_URL,
 * FOREMAN_AGENT, FOREMAN_HTTP_SECRET, FOREMAN_CONVERSATION (a conversation every send
 * continues), from the environment or .dev.vars.
 */
import { signHttpRequest } from "../channels/http/signature.ts";
import { LOCAL_DEFAULTS, readDevVars, setting } from "./local-env.ts";
import { parseSendArgs } from "./send-args.ts";

const devVars = readDevVars();
const args = parseSendArgs(process.argv.slice(2), process.env.FOREMAN_CONVERSATION ?? devVars.FOREMAN_CONVERSATION);
if (!args.ok) {
  console.error(args.error);
  process.exit(2);
}
const { text, conversation } = args;
const url = setting("FOREMAN_URL", LOCAL_DEFAULTS.url, devVars);
const agentId = setting("FOREMAN_AGENT", LOCAL_DEFAULTS.agentId, devVars);
const secret = setting("FOREMAN_HTTP_SECRET", LOCAL_DEFAULTS.httpSecret, devVars);

const body = JSON.stringify({ id: `cli-${crypto.randomUUID()}`, conversation, from: "cli-user", text });
const timestamp = Math.floor(Date.now() / 1000);
let res: Response;
try {
  res = await fetch(`${url}/webhooks/${agentId}/http`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-foreman-timestamp": String(timestamp),
      "x-foreman-signature": await signHttpRequest(secret, timestamp, body),
    },
    body,
  });
} catch (err) {
  console.error(`could not reach ${url}: is \`npm run dev\` running? (${(err as Error).message})`);
  process.exit(1);
}
const reply = await res.text();
// On stderr, so stdout stays the reply's JSON.
console.error(args.continued ? `conversation ${conversation}` : `conversation ${conversation} (new; continue it with --conversation ${conversation})`);
try {
  console.log(JSON.stringify(JSON.parse(reply), null, 2));
} catch {
  console.log(reply);
}
process.exit(res.ok ? 0 : 1);
