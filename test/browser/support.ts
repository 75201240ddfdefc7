/**
 * What the browser tests (and `npm run screenshots`) share: Debian's Chromium, the admin API as
 * JSON, the dashboard's sign-in form, and a message signed for the HTTP channel.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { signHttpRequest } from "../../src/channels/http/signature.ts";

/** Headless Chromium from Debian's `chromium` package. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
}

/** The admin API at `url` with `token`: a call's JSON answer, or an error naming the path and status. */
export function adminJson(url: string, token: string) {
  return async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
}

/** Signs in through the dashboard's form with `key`. */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/dashboard/sign-in`);
  await page.fill("input[name=key]", key);
  await page.click("button[type=submit]");
  await page.waitForLoadState();
}

/** Posts a message to an agent's HTTP channel, signed with its secret as `npm run send` signs it. */
export async function sendSigned(url: string, agentId: string, secret: string, message: Record<string, unknown>): Promise<Response> {
  const body = JSON.stringify(message);
  const timestamp = Math.floor(Date.now() / 1000);
  return fetch(`${url}/webhooks/${agentId}/http`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-foreman-timestamp": String(timestamp), "x-foreman-signature": await signHttpRequest(secret, timestamp, body) },
    body,
  });
}
