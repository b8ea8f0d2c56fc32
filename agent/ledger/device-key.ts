/**
 * data/device.key: 32 random bytes, 0600, created once, never stored in agent.db. Keys derived
 * from it authenticate the audit chain's head (audit-head.ts) and wrap the per-capture audio
 * keys (captures.ts), so a copy of agent.db alone neither decrypts audio nor forges a head.
 */
import { createHmac, randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";

export const DEVICE_KEY_BYTES = 32;

/** Where the device key of the ledger at `dbPath` lives (null for an in-memory ledger). */
export function deviceKeyPathFor(dbPath: string): string | null {
  return !dbPath || dbPath === ":memory:" ? null : join(dirname(dbPath), "device.key");
}

/** Reads the device key, creating it (0600, fsynced) if `create` and it does not exist. */
export function readDeviceKey(path: string, create: boolean): Buffer | null {
  if (existsSync(path)) {
    const k = readFileSync(path);
    return k.length === DEVICE_KEY_BYTES ? k : null;
  }
  if (!create) return null;
  const k = randomBytes(DEVICE_KEY_BYTES);
  const fd = openSync(path, "wx", 0o600);
  try {
    writeSync(fd, k);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return k;
}

/** A key for one purpose, derived from the device key. */
export function deriveKey(deviceKey: Buffer, purpose: string): Buffer {
  return createHmac("sha256", deviceKey).update(`speaker-privacy-agent ${purpose}`).digest();
}

/**
 * A per-item key as stored: XOR with HMAC(kek, "<label> <id>"), so the stored form alone is
 * useless without data/device.key. The same call unwraps. Without a kek (in-memory ledgers) it is
 * a copy.
 */
export function wrapItemKey(kek: Buffer | null, label: string, id: number, key: Buffer): Buffer {
  if (!kek) return Buffer.from(key);
  const pad = createHmac("sha256", kek).update(`${label} ${id}`).digest();
  const out = Buffer.alloc(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key[i]! ^ pad[i]!;
  pad.fill(0);
  return out;
}
