import { existsSync, readFileSync } from "node:fs";

/** Local defaults, used only by `npm run dev` and `npm run send`; never by a deployment. */
export const LOCAL_DEFAULTS = {
  url: "http://127.0.0.1:8787",
  adminToken: "dev-admin-token",
  agentId: "demo",
  httpSecret: "dev-http-secret",
  fakePort: 9000,
  /** A fixed AES-256 key so local conversations stay readable across restarts. Never deploy it. */
  encryptionKeys: "dev1:ZGV2LW9ubHkta2V5LWRvLW5vdC1kZXBsb3ktMzJiISE=",
} as const;

/** KEY=VALUE lines of `.dev.vars` (wrangler's local secrets file), if it exists. */
export function readDevVars(path = ".dev.vars"): Record<string, string> {
  if (!existsSync(path)) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m?.[1] || line.trim().startsWith("#")) continue;
    vars[m[1]] = (m[2] ?? "").replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
  }
  return vars;
}

/** A setting from the environment, then `.dev.vars`, then the default. */
export function setting(name: string, fallback: string, devVars = readDevVars()): string {
  return process.env[name] ?? devVars[name] ?? fallback;
}
