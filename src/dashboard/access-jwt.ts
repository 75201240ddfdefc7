/**
 * Cloudflare Access in front of the dashboard, for teams that use it. With `ACCESS_TEAM_DOMAIN`
 * (`https://<team>.cloudflareaccess.com`) and `ACCESS_AUD` (the Access application's audience
 * tag) set, every `/dashboard` request must carry the application token Access adds at its edge,
 * `Cf-Access-Jwt-Assertion`, and the token must be Access's own: signed RS256 by a key of the
 * team's `/cdn-cgi/access/certs`, issued by the team domain, for this application, and current.
 * A request that reached the worker around Access (its `workers.dev` address, say) has none and
 * is refused before anything else runs. The API key sign-in still decides the role: Access says
 * who is at the browser, the key what they may do. Both unset: no Access check.
 *
 * Signing keys are cached per isolate for an hour; a token signed by a key the cache does not
 * know refetches them (Access rotates keys every six weeks), at most once every 30 seconds, so
 * made-up key ids cannot turn into a flood of requests to the certs endpoint.
 */
import type { MiddlewareHandler } from "hono";
import { AppError } from "../core/errors";
import type { AppEnv } from "../http/context";

export const ACCESS_HEADER = "cf-access-jwt-assertion";
const KEYS_TTL_MS = 3_600_000;
const REFETCH_MIN_MS = 30_000;
/** Clock difference tolerated on `exp` and `nbf`. */
const LEEWAY_S = 60;

export interface AccessSettings {
  /** The issuer: `https://<team>.cloudflareaccess.com`, no trailing slash. */
  team: string;
  aud: string;
}

/** Who Access let through: a person (`email`) or a service token (`commonName`). */
export interface AccessIdentity {
  sub: string;
  email: string | null;
  commonName: string | null;
}

/** The Access settings, or null when Access is not in use; half a setting is a config error. */
export function accessSettings(env: { ACCESS_TEAM_DOMAIN?: string; ACCESS_AUD?: string; ALLOW_PRIVATE_URLS?: string }): AccessSettings | null {
  const team = (env.ACCESS_TEAM_DOMAIN ?? "").trim().replace(/\/+$/, "");
  const aud = (env.ACCESS_AUD ?? "").trim();
  if (team === "" && aud === "") return null;
  if (team === "" || aud === "") {
    throw new AppError("admin_disabled", "Cloudflare Access is half configured: set both ACCESS_TEAM_DOMAIN and ACCESS_AUD, or neither");
  }
  let url: URL;
  try {
    url = new URL(team);
  } catch {
    throw new AppError("admin_disabled", `ACCESS_TEAM_DOMAIN must be a URL such as https://<team>.cloudflareaccess.com, not "${team}"`);
  }
  // Local development and tests serve the certs on 127.0.0.1 over http; production never may.
  if (url.protocol !== "https:" && env.ALLOW_PRIVATE_URLS !== "true") {
    throw new AppError("admin_disabled", "ACCESS_TEAM_DOMAIN must be an https:// URL (https://<team>.cloudflareaccess.com)");
  }
  return { team: url.origin, aud };
}

interface KeySet {
  keys: Map<string, CryptoKey>;
  fetchedAt: number;
}
const keySets = new Map<string, KeySet>();

async function fetchKeys(team: string, now: number): Promise<KeySet> {
  let res: Response;
  try {
    res = await fetch(`${team}/cdn-cgi/access/certs`, { headers: { accept: "application/json" } });
  } catch (err) {
    throw new AppError("admin_disabled", "Cloudflare Access's signing keys could not be fetched: try again shortly", { cause: err });
  }
  if (!res.ok) throw new AppError("admin_disabled", `Cloudflare Access's signing keys could not be fetched (${res.status}): try again shortly`);
  const body = (await res.json().catch(() => null)) as { keys?: unknown } | null;
  const keys = new Map<string, CryptoKey>();
  for (const jwk of Array.isArray(body?.keys) ? body.keys : []) {
    const k = jwk as JsonWebKey & { kid?: unknown };
    if (typeof k.kid !== "string" || k.kty !== "RSA") continue;
    try {
      keys.set(k.kid, await crypto.subtle.importKey("jwk", { kty: "RSA", n: k.n, e: k.e, alg: "RS256", ext: true }, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]));
    } catch {
      // A key this runtime cannot use verifies nothing; the others still do.
    }
  }
  const set = { keys, fetchedAt: now };
  keySets.set(team, set);
  return set;
}

async function keyFor(team: string, kid: string, now: number): Promise<CryptoKey | null> {
  let set = keySets.get(team);
  if (!set || now - set.fetchedAt > KEYS_TTL_MS) set = await fetchKeys(team, now);
  const key = set.keys.get(kid);
  if (key) return key;
  if (now - set.fetchedAt < REFETCH_MIN_MS) return null;
  return (await fetchKeys(team, now)).keys.get(kid) ?? null;
}

function base64UrlBytes(part: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new Error("not base64url");
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (part.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
}

function jsonPart(part: string): Record<string, unknown> {
  const value: unknown = JSON.parse(new TextDecoder().decode(base64UrlBytes(part)));
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object");
  return value as Record<string, unknown>;
}

/** Why a token is refused; logged, never shown (the page says only that Access did not vouch). */
export class AccessDenied extends Error {
  override readonly name = "AccessDenied";
}

/** Verifies an Access application token; throws `AccessDenied` naming what failed. */
export async function verifyAccessToken(token: string, settings: AccessSettings, now: number): Promise<AccessIdentity> {
  const parts = token.split(".");
  if (parts.length !== 3 || token.length > 16_384) throw new AccessDenied("not a compact JWT");
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  let signature: Uint8Array;
  try {
    header = jsonPart(parts[0]!);
    claims = jsonPart(parts[1]!);
    signature = base64UrlBytes(parts[2]!);
  } catch {
    throw new AccessDenied("malformed JWT");
  }
  // Only Access's algorithm: never `none`, never a symmetric one keyed with a public key.
  if (header.alg !== "RS256") throw new AccessDenied(`alg ${String(header.alg)} is not RS256`);
  if (typeof header.kid !== "string") throw new AccessDenied("no kid");
  const key = await keyFor(settings.team, header.kid, now);
  if (!key) throw new AccessDenied("signed by a key Access does not publish");
  const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
  if (!(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, signature, signed))) throw new AccessDenied("bad signature");
  if (claims.iss !== settings.team) throw new AccessDenied(`issuer ${String(claims.iss)} is not ${settings.team}`);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(settings.aud)) throw new AccessDenied("for another Access application");
  const nowS = now / 1000;
  if (typeof claims.exp !== "number" || claims.exp + LEEWAY_S < nowS) throw new AccessDenied("expired");
  if (typeof claims.nbf === "number" && claims.nbf - LEEWAY_S > nowS) throw new AccessDenied("not valid yet");
  if (typeof claims.sub !== "string") throw new AccessDenied("no sub");
  return {
    sub: claims.sub,
    email: typeof claims.email === "string" ? claims.email : null,
    commonName: typeof claims.common_name === "string" ? claims.common_name : null,
  };
}

/**
 * Refuses every dashboard request Access did not vouch for (403), when Access is configured;
 * the identity goes on the context for the logs.
 */
export function requireAccess(): MiddlewareHandler<AppEnv & { Variables: { accessIdentity?: AccessIdentity } }> {
  return async (c, next) => {
    const settings = accessSettings(c.env);
    if (!settings) return next();
    const token = c.req.header(ACCESS_HEADER) ?? "";
    if (token === "") throw new AppError("forbidden", "this dashboard is behind Cloudflare Access: open it through your team's Access login");
    try {
      c.set("accessIdentity", await verifyAccessToken(token, settings, c.var.clock.now()));
    } catch (err) {
      if (!(err instanceof AccessDenied)) throw err;
      c.var.services.logger.warn("dashboard_access_refused", { reason: err.message });
      throw new AppError("forbidden", "Cloudflare Access did not vouch for this request: sign in through Access again");
    }
    await next();
  };
}
