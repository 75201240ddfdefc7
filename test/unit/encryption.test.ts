import { describe, expect, it } from "vitest";
import { EncryptionError, isSealed, loadKeyring, open, seal } from "../../src/privacy/encryption";

const key = (fill: number) => btoa(String.fromCharCode(...new Uint8Array(32).fill(fill)));
const K1 = `k1:${key(1)}`;
const K2 = `k2:${key(2)}`;

describe("encryption envelope", () => {
  it("seals with AES-256-GCM under the current key and opens in the same context", async () => {
    const ring = (await loadKeyring(K1))!;
    const sealed = await seal(ring, "card 4242 4242 4242 4242, call +1 415 555 0100", "conversation:a");
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).toMatch(/^enc:v1:k1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(sealed).not.toContain("4242");
    expect(await open(ring, sealed, "conversation:a")).toBe("card 4242 4242 4242 4242, call +1 415 555 0100");
    // A fresh IV each time: the same text never seals the same way twice.
    expect(await seal(ring, "same", "c")).not.toBe(await seal(ring, "same", "c"));
  });

  it("refuses another context, a tampered value and an unknown key", async () => {
    const ring = (await loadKeyring(K1))!;
    const sealed = await seal(ring, "secret", "conversation:a");
    await expect(open(ring, sealed, "conversation:b")).rejects.toThrow(EncryptionError);
    const cut = sealed.lastIndexOf(":") + 1;
    const flipped = `${sealed.slice(0, cut)}${sealed[cut] === "A" ? "B" : "A"}${sealed.slice(cut + 1)}`;
    await expect(open(ring, flipped, "conversation:a")).rejects.toThrow(/failed authentication/);
    await expect(open(await loadKeyring(K2), sealed, "conversation:a")).rejects.toThrow(/no key "k1"/);
    await expect(open(null, sealed, "conversation:a")).rejects.toThrow(EncryptionError);
  });

  it("keeps values sealed under an old key readable after rotation, and seals new ones under the new key", async () => {
    const before = (await loadKeyring(K1))!;
    const old = await seal(before, "kept before rotation", "ctx");
    const after = (await loadKeyring(`${K2},${K1}`))!;
    expect(after.current).toBe("k2");
    expect(await open(after, old, "ctx")).toBe("kept before rotation");
    expect(await seal(after, "new", "ctx")).toMatch(/^enc:v1:k2:/);
    // Once the old key is dropped, what it sealed no longer opens: rotate out only after re-sealing or expiry.
    await expect(open(await loadKeyring(K2), old, "ctx")).rejects.toThrow(/no key "k1"/);
  });

  it("reads plain text kept before encryption was turned on as it is", async () => {
    expect(await open(await loadKeyring(K1), "plain old turn", "ctx")).toBe("plain old turn");
    expect(await open(null, "plain old turn", "ctx")).toBe("plain old turn");
  });

  it("parses ENCRYPTION_KEYS strictly, naming the problem and never the key", async () => {
    expect(await loadKeyring(undefined)).toBeNull();
    expect(await loadKeyring(" ")).toBeNull();
    await expect(loadKeyring("k1")).rejects.toThrow(/entry 1 must be "id:base64key"/);
    await expect(loadKeyring(`k1:${btoa("short")}`)).rejects.toThrow(/must be 32 bytes \(AES-256\), not 5/);
    await expect(loadKeyring(`${K1},${K1}`)).rejects.toThrow(/names key "k1" twice/);
    await expect(loadKeyring("k1:%%%")).rejects.toThrow(/not valid base64/);
    await expect(loadKeyring(`bad id:${key(3)}`)).rejects.toThrow(/entry 1/);
    await loadKeyring(`k1:${key(9)}`).then((r) => expect(r?.keys.size).toBe(1));
    try {
      await loadKeyring(`k1:${btoa("0123456789")}`);
    } catch (err) {
      expect(String(err)).not.toContain(btoa("0123456789"));
    }
  });
});
