/**
 * Encryption at rest for the raw customer text Foreman keeps (`audit.compliance.encryption`):
 * AES-256-GCM with WebCrypto, under keys from the `ENCRYPTION_KEYS` secret.
 *
 * The secret lists keys as `id:base64`, comma-separated, newest first:
 *
 *   ENCRYPTION_KEYS="k2:3q2+7w…=,k1:AAECAw…="
 *
 * The first key seals; every listed key opens. Rotating is adding a new key at the front and
 * keeping the old ones until nothing sealed under them is kept any more. A sealed value names
 * its key and carries its own random 96-bit IV, and is bound to a context string (additional
 * authenticated data), so a value copied to another conversation or field does not open.
 *
 * Sealed form: `enc:v1:<keyId>:<base64 iv>:<base64 ciphertext+tag>`.
 */

/** What every sealed value starts with (storage can tell sealed from plain without opening it). */
export const SEALED_PREFIX = "enc:v1:";
const PREFIX = SEALED_PREFIX;
const IV_BYTES = 12;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** The keys of a deployment: `current` seals, all open. */
export interface Keyring {
  current: string;
  keys: ReadonlyMap<string, CryptoKey>;
}

/** A missing, malformed or unknown key, or a value that fails authentication. */
export class EncryptionError extends Error {
  override readonly name = "EncryptionError";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * Parses the `ENCRYPTION_KEYS` secret; null when it is unset or empty. Every key must be 32
 * bytes (AES-256) and every id unique, or it throws naming the problem, never the key.
 *
 * @example
 * const ring = await loadKeyring(env.ENCRYPTION_KEYS); // { current: "k2", keys: Map(2) }
 */
export async function loadKeyring(secret: string | undefined): Promise<Keyring | null> {
  if (cached && cached.secret === secret) return cached.ring;
  const ring = await parseKeyring(secret);
  cached = { secret, ring };
  return ring;
}

/** The keyring of the last secret seen: keys are imported once per isolate, not per message. */
let cached: { secret: string | undefined; ring: Keyring | null } | undefined;

async function parseKeyring(secret: string | undefined): Promise<Keyring | null> {
  const entries = (secret ?? "").split(",").map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) return null;
  const keys = new Map<string, CryptoKey>();
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(":");
    const id = entry.slice(0, colon);
    if (colon < 0 || !KEY_ID.test(id)) throw new EncryptionError(`ENCRYPTION_KEYS entry ${i + 1} must be "id:base64key" with an id of 1-32 letters, digits, - or _`);
    if (keys.has(id)) throw new EncryptionError(`ENCRYPTION_KEYS names key "${id}" twice`);
    let raw: Uint8Array;
    try {
      raw = fromBase64(entry.slice(colon + 1));
    } catch {
      throw new EncryptionError(`ENCRYPTION_KEYS key "${id}" is not valid base64`);
    }
    if (raw.length !== 32) throw new EncryptionError(`ENCRYPTION_KEYS key "${id}" must be 32 bytes (AES-256), not ${raw.length}`);
    keys.set(id, await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]));
  }
  return { current: entries[0]!.slice(0, entries[0]!.indexOf(":")), keys };
}

/** Whether a stored value is sealed (as opposed to plain text kept before encryption was on). */
export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/**
 * Seals `plaintext` under the current key, bound to `context`.
 *
 * @example
 * const stored = await seal(ring, "my card number is …", "conversation:acme/http/c1");
 */
export async function seal(ring: Keyring, plaintext: string, context: string): Promise<string> {
  const key = ring.keys.get(ring.current);
  if (!key) throw new EncryptionError(`the current key "${ring.current}" is not in the keyring`);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(context) }, key, encoder.encode(plaintext));
  return `${PREFIX}${ring.current}:${toBase64(iv)}:${toBase64(new Uint8Array(sealed))}`;
}

/**
 * Opens a sealed value with whichever listed key sealed it. Plain (never sealed) values are
 * returned as they are, so text kept before encryption was turned on stays readable. Throws
 * `EncryptionError` for an unknown key, a wrong context or any tampering.
 */
export async function open(ring: Keyring | null, value: string, context: string): Promise<string> {
  if (!isSealed(value)) return value;
  const [keyId, iv, data] = value.slice(PREFIX.length).split(":");
  const key = keyId ? ring?.keys.get(keyId) : undefined;
  if (!key) throw new EncryptionError(`no key "${keyId ?? ""}" in ENCRYPTION_KEYS to open a sealed value`);
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv ?? ""), additionalData: encoder.encode(context) }, key, fromBase64(data ?? ""));
    return decoder.decode(plain);
  } catch {
    throw new EncryptionError(`a value sealed under key "${keyId}" failed authentication (tampered, or another context)`);
  }
}

/**
 * Seals under the keys of the `ENCRYPTION_KEYS` secret; without keys it throws rather than let
 * the caller keep the text in the clear.
 */
export async function sealWith(secret: string | undefined, plaintext: string, context: string): Promise<string> {
  const ring = await loadKeyring(secret);
  if (!ring) throw new EncryptionError("audit.compliance.encryption is on but the ENCRYPTION_KEYS secret is not set");
  return seal(ring, plaintext, context);
}

/** What a sealed approval input is bound to: its approval. */
export function approvalContext(approvalId: string): string {
  return `approval:${approvalId}`;
}
