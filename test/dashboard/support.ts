import { admin, ADMIN_TOKEN, type Target, worker } from "../support/agents";

/** A browser's same-origin form POST, as the dashboard's pages send it. */
export const SAME_ORIGIN = { origin: "https://foreman.test", "sec-fetch-site": "same-origin" } as const;

/** A dashboard request with the session cookie (when given), as a browser would send it. */
export function page(path: string, init: { method?: string; cookie?: string; form?: Record<string, string>; headers?: Record<string, string>; target?: Target } = {}) {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set("cookie", init.cookie);
  if (init.form) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    if (!init.headers) for (const [k, v] of Object.entries(SAME_ORIGIN)) headers.set(k, v);
    // Each form comes from an address of its own unless the test names one: failed sign-ins are
    // counted per address (src/dashboard/sign-in-limit.ts).
    if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", `198.51.100.${Math.floor(Math.random() * 254) + 1}`);
  }
  const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
  return (init.target ?? worker).fetch(new Request(`https://foreman.test${path}`, { method: init.method ?? (init.form ? "POST" : "GET"), headers, body, redirect: "manual" }));
}

/** Signs in with a key; returns the `name=value` of the session cookie and the raw Set-Cookie. */
export async function signIn(key: string = ADMIN_TOKEN, target: Target = worker): Promise<{ cookie: string; setCookie: string }> {
  const res = await page("/dashboard/sign-in", { form: { key }, target });
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { cookie: setCookie.split(";")[0] ?? "", setCookie };
}

/** The CSRF token of a signed-in page's forms. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error("no CSRF token on the page");
  return match[1];
}

/** `data-figure` values of a page, by name. */
export function figuresOf(html: string): Record<string, string> {
  return Object.fromEntries([...html.matchAll(/data-figure="([^"]+)" data-value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

export async function createKey(body: Record<string, unknown>): Promise<{ key: string; id: string }> {
  const res = await admin("/v1/keys", { method: "POST", body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST /v1/keys failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { key: string; id: string };
}
