/**
 * data/gate.state: the mute state (mute flags, deadline, mode) in a small file of fixed size,
 * apart from SQLite, so that persisting a mute never needs free space and never waits for a lock.
 *
 * The file is created once, at full size, while there is space (written to a temporary name,
 * fsynced, renamed). After that every save overwrites one of two 2 KiB slots in place and
 * fsyncs: overwriting blocks a file already owns asks the file system for none, so a full disk
 * cannot refuse it. Slots alternate, each with a sequence number and a SHA-256, so a save torn
 * by a power cut leaves the previous one readable. A file in which no slot verifies is
 * "unreadable": the agent then boots muted and says so (fail closed).
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readSync, renameSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export const STATE_FILE_BYTES = 4096;
const SLOT_BYTES = STATE_FILE_BYTES / 2;
const MAGIC = 0x53504131; // "SPA1"
/** magic u32, seq u32, length u16, then JSON, then SHA-256 of bytes [0, 10 + length). */
const HEADER = 10;
const MAX_JSON = SLOT_BYTES - HEADER - 32;

export type StateRead = { kind: "missing" } | { kind: "ok"; json: unknown; seq: number } | { kind: "unreadable"; reason: string };

function encodeSlot(seq: number, json: string): Buffer {
  const body = Buffer.from(json, "utf8");
  if (body.length > MAX_JSON) throw new RangeError(`gate state is ${body.length} bytes; a slot holds ${MAX_JSON}`);
  const slot = Buffer.alloc(SLOT_BYTES);
  slot.writeUInt32BE(MAGIC, 0);
  slot.writeUInt32BE(seq >>> 0, 4);
  slot.writeUInt16BE(body.length, 8);
  body.copy(slot, HEADER);
  createHash("sha256")
    .update(slot.subarray(0, HEADER + body.length))
    .digest()
    .copy(slot, HEADER + body.length);
  return slot;
}

function decodeSlot(slot: Buffer): { seq: number; json: unknown } | null {
  if (slot.length < SLOT_BYTES || slot.readUInt32BE(0) !== MAGIC) return null;
  const len = slot.readUInt16BE(8);
  if (len > MAX_JSON) return null;
  const digest = createHash("sha256")
    .update(slot.subarray(0, HEADER + len))
    .digest();
  if (!digest.equals(slot.subarray(HEADER + len, HEADER + len + 32))) return null;
  try {
    return { seq: slot.readUInt32BE(4), json: JSON.parse(slot.subarray(HEADER, HEADER + len).toString("utf8")) };
  } catch {
    return null;
  }
}

/** Newer of two sequence numbers, allowing for wrap-around of the 32-bit counter. */
const newer = (a: number, b: number): boolean => (a - b) >>> 0 < 0x80000000 && a !== b;

export class StateFile {
  #fd: number | null = null;
  #seq = 0;

  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }

  /** What the file holds now (read at boot, before open()). */
  read(): StateRead {
    if (!existsSync(this.path)) return { kind: "missing" };
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch (e) {
      return { kind: "unreadable", reason: (e as Error).message };
    }
    try {
      const buf = Buffer.alloc(STATE_FILE_BYTES);
      const n = readSync(fd, buf, 0, STATE_FILE_BYTES, 0);
      const slots = [decodeSlot(buf.subarray(0, Math.min(n, SLOT_BYTES))), n >= STATE_FILE_BYTES ? decodeSlot(buf.subarray(SLOT_BYTES)) : null].filter(
        (s) => s !== null,
      );
      if (slots.length === 0) return { kind: "unreadable", reason: n === 0 ? "the file is empty" : "no intact copy of the state in it" };
      const best = slots.length === 2 && newer(slots[1]!.seq, slots[0]!.seq) ? slots[1]! : slots[0]!;
      this.#seq = best.seq;
      return { kind: "ok", json: best.json, seq: best.seq };
    } catch (e) {
      return { kind: "unreadable", reason: (e as Error).message };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Opens the file for saving. A file that is missing or not of full size is created anew with
   * `initial` in it (temporary name, fsync, rename, fsync of the directory); this is the only
   * step that needs free space.
   */
  open(initial: unknown): void {
    if (this.#fd !== null) return;
    if (!existsSync(this.path) || statSync(this.path).size !== STATE_FILE_BYTES) {
      const tmp = `${this.path}.new`;
      const fd = openSync(tmp, "w", 0o600);
      try {
        const file = Buffer.alloc(STATE_FILE_BYTES);
        this.#seq = (this.#seq + 1) >>> 0;
        encodeSlot(this.#seq, JSON.stringify(initial)).copy(file, (this.#seq % 2) * SLOT_BYTES);
        writeAll(fd, file, 0);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
      syncDir(dirname(this.path));
    }
    this.#fd = openSync(this.path, "r+");
  }

  /** Overwrites the older slot in place and fsyncs. Needs no free space. Throws on I/O errors. */
  save(state: unknown): void {
    if (this.#fd === null) throw new Error("state file is not open");
    const seq = (this.#seq + 1) >>> 0;
    writeAll(this.#fd, encodeSlot(seq, JSON.stringify(state)), (seq % 2) * SLOT_BYTES);
    fsyncSync(this.#fd);
    this.#seq = seq;
  }

  close(): void {
    if (this.#fd === null) return;
    closeSync(this.#fd);
    this.#fd = null;
  }
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, position + off);
}

function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
