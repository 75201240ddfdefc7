/**
 * `npm run screenshots`: pictures of every dashboard page for docs/ and the README, taken in
 * headless Chromium against the real worker started as `npm run dev` starts it (free ports, a
 * throwaway state directory, the fake Messages API). It first gives an agent a few hundred
 * customer messages over the signed HTTP channel (twelve request types the fake model answers
 * with their facts, so patterns are learned and one is approved into canary), a tool request
 * waiting for a person, a trust change with its alert, and SMS traffic; then it signs in with the
 * local ADMIN_TOKEN and saves one PNG per page in docs/screenshots/.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startDevServer } from "../test/browser/dev-server.ts";
import { adminJson, launchChromium, sendSigned, signIn } from "../test/browser/support.ts";

const OUT = join(import.meta.dirname, "..", "docs", "screenshots");
const AGENT = "corner-bakery";
const SECRET = "bakery-http-secret-0123456789";
const TOPICS = ["opening hours", "gluten-free bread", "birthday cakes", "delivery area", "refund", "allergens", "bulk orders", "gift cards", "parking", "loyalty card", "sourdough starter", "catering"];
const FACTS = TOPICS.map(
  (topic, i) => `For ${topic}, policy ${String.fromCharCode(65 + i)}${100 + i * 7} applies: it takes ${i + 1} working days and the ${["blue", "green", "red", "gold"][i % 4]} page of our site shows the details.`,
);
const askings = (topic: string) => [`How does ${topic} work?`, `Question on ${topic}`, `help with ${topic} please`];
const PER_TOPIC = 48;

const server = await startDevServer();
try {
  const api = adminJson(server.url, server.adminToken);
  const fake = (path: string, body: unknown) =>
    fetch(`${server.fakeUrl}${path}`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const send = async (text: string, i: number, from = "customer") => {
    const res = await sendSigned(server.url, AGENT, SECRET, { id: `shot-${i}-${crypto.randomUUID()}`, conversation: `shot-${i}`, from, text });
    if (!res.ok) throw new Error(`sending "${text}": ${res.status} ${await res.text()}`);
  };

  const unlimited = { perSender: { messages: 1_000_000, window: "1m" }, perAgent: { messages: 1_000_000, window: "1m" } };
  await api(`/v1/agents/${AGENT}`, {
    method: "PUT",
    body: JSON.stringify({
      systemPrompt: "You answer customers of a small bakery: opening hours, orders, allergens. Be brief and friendly.",
      // The exact and similar caches would answer these few wordings before anything is learned.
      config: { trust: { initial: 0.3, ask: ["Write"] }, optimization: { enableCache: false }, learning: { enabled: true }, messageHandling: { rateLimits: unlimited } },
      secrets: { http: SECRET },
    }),
  });
  await fake(`/_fake/oracle/${AGENT}`, { facts: Object.fromEntries(TOPICS.flatMap((t, i) => askings(t).map((q) => [q, FACTS[i]!]))) });
  const messages = TOPICS.flatMap((topic) => Array.from({ length: PER_TOPIC }, (_, i) => askings(topic)[i % 3]!));
  for (let i = 0; i < messages.length; i += 8) await Promise.all(messages.slice(i, i + 8).map((text, j) => send(text, i + j)));
  for (const [i, text] of ["Hello!", "Hello!", "Thanks, bye"].entries()) await send(text, 10_000 + i, `regular-${i}`);
  for (let i = 0; ; i++) {
    const { requests } = await api<{ requests: number }>(`/v1/agents/${AGENT}/analytics`);
    if (requests >= messages.length + 3) break;
    if (i > 240) throw new Error(`only ${requests} answers were stored`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await api(`/v1/agents/${AGENT}/learn/run`, { method: "POST" });
  const { patterns } = await api<{ patterns: Array<{ id: string; status: string }> }>(`/v1/agents/${AGENT}/patterns`);
  const waiting = patterns.filter((p) => p.status === "pending_approval");
  for (const p of waiting.slice(0, 6)) await api(`/v1/agents/${AGENT}/patterns/${p.id}/approve`, { method: "POST", body: JSON.stringify({ note: "matches our policy" }) });
  // The next day's questions: the approved patterns answer their canary share.
  const more = TOPICS.flatMap((topic) => Array.from({ length: 12 }, (_, i) => askings(topic)[i % 3]!));
  for (let i = 0; i < more.length; i += 8) await Promise.all(more.slice(i, i + 8).map((text, j) => send(text, 30_000 + i + j)));
  // A tool request waiting for a person, and a trust change an owner made (with its alert).
  await fake(`/_fake/scripts/${AGENT}`, {
    steps: [
      { type: "tool_use", calls: [{ name: "Write", input: { path: "refunds/order-42.txt", content: "refund order 42: stale loaf" } }] },
      { type: "text", text: "{{tool_result}}" },
    ],
  });
  await send("Please refund order 42, the loaf was stale", 20_000);
  await api(`/v1/agents/${AGENT}/trust`, { method: "POST", body: JSON.stringify({ action: "set", level: 0.5, reason: "owner vouches after a good month" }) });
  // The alert reaches D1 with the agent's next audit flush.
  for (let i = 0; i < 60; i++) {
    const { alerts } = await api<{ alerts: unknown[] }>(`/v1/agents/${AGENT}/alerts`);
    if (alerts.length > 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }

  // The newest conversation: personal data the transcript shows masked.
  await send("Hi, this is Jo Baker. Can you email me at jo.baker@example.com or call 07700 900123 about my order?", 40_000, "jo");
  let conversations: Array<{ id: string }> = [];
  for (let i = 0; i < 60; i++) {
    ({ conversations } = await api<{ conversations: Array<{ id: string }> }>(`/v1/agents/${AGENT}/conversations?limit=1`));
    const first = conversations[0] && (await api<{ turns: Array<{ text: string }> }>(`/v1/agents/${AGENT}/conversations/${conversations[0].id}`));
    if (first && first.turns.some((t) => t.text.includes("[EMAIL]"))) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const browser = await launchChromium();
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 })).newPage();
  await page.goto(`${server.url}/dashboard/sign-in`);
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, "sign-in.png") });
  await signIn(page, server.url, server.adminToken);
  const a = `/dashboard/agents/${AGENT}`;
  const emailed = conversations[0]?.id;
  const shots: Array<[string, string]> = [
    ["agents", "/dashboard/agents"],
    ["overview", a],
    ["trust", `${a}/trust`],
    ["learning", `${a}/learning`],
    ["audit", `${a}/audit`],
    ["channels", `${a}/channels`],
    ["conversation", emailed ? `${a}/conversations/${emailed}` : `${a}/conversations`],
    ["alerts", `${a}/alerts`],
    ["dead-letters", `${a}/dead-letters`],
    ["edit", `${a}/edit`],
    ["api", "/dashboard/api"],
  ];
  for (const [name, path] of shots) {
    const res = await page.goto(`${server.url}${path}`);
    if (res?.status() !== 200) throw new Error(`${path} answered ${res?.status()}`);
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: name !== "api" && name !== "edit" && name !== "audit" });
    console.log(`[screenshots] ${name}.png  ${path}`);
  }
  // A phone.
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 })).newPage();
  await signIn(phone, server.url, server.adminToken);
  await phone.goto(`${server.url}${a}`);
  await phone.screenshot({ path: join(OUT, "overview-phone.png") });
  console.log("[screenshots] overview-phone.png");
  await browser.close();
} finally {
  await server.stop();
}
