/**
 * `npm run send -- "text"`: signs a message with the agent's HTTP secret, sends it to the
 * HTTP channel and prints the reply. Settings: FOREMAN_URL, FOREMAN_AGENT, FOREMAN_HTTP_SECRET,
 * FOREMAN_CONVERSATION (environment or .dev.vars).
 */
import { signHttpRequest } from "../channels/http/signature.ts";
import { LOCAL_DEFAULTS, readDevVars, setting } from "./local-env.ts";

const text = process.argv.slice(2).join(" ").trim();
if (!text) {
  console.error('usage: npm run send -- "your message"');
  process.exit(2);
}
const devVars = readDevVars();
const url = setting("FOREMAN_URL", LOCAL_DEFAULTS.url, devVars);
const agentId = setting("FOREMAN_AGENT", LOCAL_DEFAULTS.agentId, devVars);
const secret = setting("FOREMAN_HTTP_SECRET", LOCAL_DEFAULTS.httpSecret, devVars);
const conversation = setting("FOREMAN_CONVERSATION", "cli", devVars);

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
try {
  console.log(JSON.stringify(JSON.parse(reply), null, 2));
} catch {
  console.log(reply);
}
process.exit(res.ok ? 0 : 1);
