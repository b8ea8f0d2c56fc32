/**
 * The audit chain's head, kept where agent.db cannot rewrite it (issue 14.3): data/audit.head,
 * a small fixed-size file (state-file.ts) holding the last event's sequence number and hash and
 * the chain's anchor, authenticated with an HMAC under a device key in data/device.key (0600,
 * never in agent.db). Deleting the newest events, all of them, or the oldest ones with a moved
 * anchor, or rewriting an event and recomputing the hashes after it, leaves agent.db consistent
 * in itself but no longer matching the head: `spa audit verify` says so.
 *
 * What it cannot do: someone with root on the device can read the key and rewrite the head too.
 * The head is also published on the fleet state topic and written into exports, so copies
 * outside the device can expose such a rewrite afterwards; nothing on the device alone can.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { deriveKey, deviceKeyPathFor, readDeviceKey } from "./device-key.ts";
import { StateFile } from "./state-file.ts";

export interface ChainHead {
  seq: number;
  hash: string;
  anchorSeq: number;
  anchorHash: string;
}

export type HeadRead = { kind: "none" } | { kind: "ok"; head: ChainHead } | { kind: "bad"; reason: string };

/** The head's authentication code, under a key derived from the device key for this one purpose. */
function macOf(deviceKey: Buffer, h: ChainHead): string {
  return createHmac("sha256", deriveKey(deviceKey, "audit head v1")).update(`${h.seq}\n${h.hash}\n${h.anchorSeq}\n${h.anchorHash}`).digest("hex");
}

export class AuditHead {
  readonly #file: StateFile;
  #opened = false;

  readonly path: string;
  readonly keyPath: string;
  private constructor(path: string, keyPath: string) {
    this.path = path;
    this.keyPath = keyPath;
    this.#file = new StateFile(path);
  }

  /** The head that belongs to the ledger file at `dbPath` (null for an in-memory ledger). */
  static forDb(dbPath: string): AuditHead | null {
    const keyPath = deviceKeyPathFor(dbPath);
    return keyPath ? new AuditHead(join(dirname(dbPath), "audit.head"), keyPath) : null;
  }

  /** Whether the head file exists. */
  get exists(): boolean {
    return existsSync(this.path);
  }

  read(): HeadRead {
    const r = this.#file.read();
    if (r.kind === "missing") return { kind: "none" };
    if (r.kind === "unreadable") return { kind: "bad", reason: `the chain head ${this.path} is unreadable (${r.reason})` };
    const key = readDeviceKey(this.keyPath, false);
    if (!key) return { kind: "bad", reason: `the device key ${this.keyPath} is missing or damaged: the chain head cannot be checked` };
    const j = r.json as Partial<ChainHead & { mac: string }>;
    if (
      typeof j.seq !== "number" ||
      typeof j.hash !== "string" ||
      typeof j.anchorSeq !== "number" ||
      typeof j.anchorHash !== "string" ||
      typeof j.mac !== "string"
    ) {
      return { kind: "bad", reason: "the chain head is malformed" };
    }
    const head: ChainHead = { seq: j.seq, hash: j.hash, anchorSeq: j.anchorSeq, anchorHash: j.anchorHash };
    const want = Buffer.from(macOf(key, head), "hex");
    const got = Buffer.from(j.mac, "hex");
    if (got.length !== want.length || !timingSafeEqual(got, want))
      return { kind: "bad", reason: "the chain head was altered (its authentication code does not match)" };
    return { kind: "ok", head };
  }

  /** Records the chain's current head (in place, fsynced). */
  write(head: ChainHead): void {
    const key = readDeviceKey(this.keyPath, true)!;
    const body = { ...head, mac: macOf(key, head) };
    if (!this.#opened) {
      this.#file.read();
      this.#file.open(body);
      this.#opened = true;
    }
    this.#file.save(body);
  }

  close(): void {
    this.#file.close();
    this.#opened = false;
  }
}
