/**
 * Kept captures in data/agent.db: metadata rows, the voice-modified audio encrypted with
 * AES-256-GCM under a per-capture random key (separate table: deleting the key row shreds the
 * audio), and the persistent upload queue (envelopes only; audio is decrypted when sending).
 * Raw audio never reaches this module: callers hand it modified audio only.
 */
import { DeletionRequests } from "./deletion-requests.ts";
import { ExportRecords } from "./export-records.ts";
import { Settings } from "./settings.ts";
import { UploadQueue } from "./upload-queue.ts";
import { expiryBounds, type LedgerTime } from "./retention.ts";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Timestamp } from "../units.ts";
import { checkpoint, type Db } from "./agent-db.ts";
import { deriveKey, deviceKeyPathFor, readDeviceKey, wrapItemKey } from "./device-key.ts";

/** Set once the capture keys in this ledger are stored wrapped (see CaptureStore). */
export const KEYS_WRAPPED_SETTING = "ledger.keysWrapped";

export type DeleteScope = "last" | "today" | "all";

/** What a deletion or purge removed, for the audit log and for files to unlink afterwards. */
export interface Removed {
  count: number;
  /** Upstream deletion requests queued (captures that had been uploaded). */
  deletionRequests: number;
  /** Export copies of the removed captures' audio, to unlink now that the rows are gone. */
  exportFiles: string[];
}
export type UploadState = "none" | "queued" | "sent" | "dropped";

export interface CaptureMeta {
  trigger: "wake" | "talk";
  keyword: string | null;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  endReason: string;
  policyVersion: number;
  /** Method and version of the voice modification, e.g. "mcadams-b2/1" (never α). */
  anonymization: string | null;
  /** Birth times for retention (see retention.ts): effective wall time and powered-on time. */
  capturedWall: number;
  capturedUptime: number;
}

export interface CaptureRow extends CaptureMeta {
  id: number;
  uploadState: UploadState;
  uploadId: string | null;
  hasAudio: boolean;
}

export interface QueuedUpload {
  captureId: number;
  envelope: string;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  queuedAt: number;
}

const aad = (id: number): Buffer => Buffer.from(`spa-capture:${id}`);

function pcmBytes(a: Int16Array): Buffer {
  const b = Buffer.alloc(a.length * 2);
  for (let i = 0; i < a.length; i++) b.writeInt16LE(a[i]!, i * 2);
  return b;
}

export class CaptureStore {
  /** A deletion's WAL checkpoint was blocked by a reader; deleted pages may still be in the WAL. */
  checkpointPending = false;
  /**
   * The key-encryption key (issue 14.8): derived from data/device.key, which never enters
   * agent.db. Each capture's audio key is stored XORed with HMAC(kek, capture id), so agent.db
   * alone holds no usable key. Null for an in-memory ledger (tests), where keys are stored as is.
   */
  readonly #kek: Buffer | null;

  readonly db: Db;
  /** The parts of the ledger kept beside the captures, each in its own module. */
  readonly uploads: UploadQueue;
  readonly deletions: DeletionRequests;
  readonly settings: Settings;
  readonly exports: ExportRecords;
  constructor(db: Db, kek?: Buffer | null) {
    this.db = db;
    this.uploads = new UploadQueue(db);
    this.deletions = new DeletionRequests(db);
    this.settings = new Settings(db);
    this.exports = new ExportRecords(db);
    if (kek === undefined) {
      const path = deviceKeyPathFor(db.name);
      kek = path ? deriveKey(readDeviceKey(path, true)!, "capture-key wrapping v1") : null;
    }
    this.#kek = kek;
    if (kek) this.#wrapLegacyKeys();
  }

  /** The stored form of a capture's key, and back (the same operation). */
  #wrap(id: number, key: Buffer): Buffer {
    return wrapItemKey(this.#kek, "capture", id, key);
  }

  /** Ledgers from before wrapping kept raw keys: wrap them once, in one transaction. */
  #wrapLegacyKeys(): void {
    if (this.settings.get(KEYS_WRAPPED_SETTING) === "1") return;
    this.db
      .transaction(() => {
        const upd = this.db.prepare("UPDATE capture_keys SET key = ? WHERE capture_id = ?");
        for (const r of this.db.prepare("SELECT capture_id AS id, key FROM capture_keys").all() as Array<{ id: number; key: Buffer }>) {
          upd.run(this.#wrap(r.id, r.key), r.id);
          r.key.fill(0);
        }
        this.settings.set(KEYS_WRAPPED_SETTING, "1", 0);
      })
      .immediate();
  }

  /** Checkpoints after deleting; remembers to retry when a reader blocked it. */
  retryCheckpoint(): boolean {
    this.checkpointPending = !checkpoint(this.db);
    return !this.checkpointPending;
  }

  /**
   * Stores one capture and its (modified) audio, encrypted; optionally queues its upload, all
   * in one transaction. The plaintext buffer made here is zero-filled before returning.
   */
  insert(meta: CaptureMeta, audio: Int16Array | null, upload: { uploadId: string; envelope: string; at: number } | null): number {
    const plain = audio ? pcmBytes(audio) : null;
    const key = randomBytes(32);
    try {
      return this.db
        .transaction(() => {
          const id = Number(
            this.db
              .prepare(
                `INSERT INTO captures (trigger, keyword, started_at, ended_at, duration_ms, end_reason, policy_version, anonymization, upload_state, upload_id, captured_wall, captured_uptime)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              )
              .run(
                meta.trigger,
                meta.keyword,
                meta.startedAt,
                meta.endedAt,
                meta.durationMs,
                meta.endReason,
                meta.policyVersion,
                meta.anonymization,
                upload ? "queued" : "none",
                upload?.uploadId ?? null,
                meta.capturedWall,
                meta.capturedUptime,
              ).lastInsertRowid,
          );
          if (plain) {
            const iv = randomBytes(12);
            const c = createCipheriv("aes-256-gcm", key, iv);
            c.setAAD(aad(id));
            const ciphertext = Buffer.concat([c.update(plain), c.final()]);
            this.db.prepare("INSERT INTO capture_keys (capture_id, key) VALUES (?, ?)").run(id, this.#wrap(id, key));
            this.db.prepare("INSERT INTO capture_audio (capture_id, iv, tag, ciphertext) VALUES (?, ?, ?, ?)").run(id, iv, c.getAuthTag(), ciphertext);
          }
          if (upload) {
            this.db
              .prepare("INSERT INTO upload_queue (capture_id, envelope, attempts, next_attempt_at, queued_at) VALUES (?, ?, 0, ?, ?)")
              .run(id, upload.envelope, upload.at, upload.at);
          }
          return id;
        })
        .immediate();
    } finally {
      plain?.fill(0);
      key.fill(0);
    }
  }

  /** The stored modified audio, decrypted; null when there is none or its key is gone. */
  audio(id: number): Int16Array | null {
    const row = this.db
      .prepare(
        "SELECT k.key AS key, a.iv AS iv, a.tag AS tag, a.ciphertext AS ct FROM capture_audio a JOIN capture_keys k USING (capture_id) WHERE capture_id = ?",
      )
      .get(id) as { key: Buffer; iv: Buffer; tag: Buffer; ct: Buffer } | undefined;
    if (!row) return null;
    const key = this.#wrap(id, row.key);
    row.key.fill(0);
    const d = createDecipheriv("aes-256-gcm", key, row.iv);
    d.setAAD(aad(id));
    d.setAuthTag(row.tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([d.update(row.ct), d.final()]);
    } finally {
      key.fill(0);
    }
    const out = new Int16Array(plain.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = plain.readInt16LE(i * 2);
    plain.fill(0);
    return out;
  }

  count(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM captures").get() as { n: number }).n;
  }

  list(limit = 50): CaptureRow[] {
    const rows = this.db
      .prepare(
        `SELECT c.id, c.trigger, c.keyword, c.started_at AS startedAt, c.ended_at AS endedAt, c.duration_ms AS durationMs, c.end_reason AS endReason,
                c.policy_version AS policyVersion, c.anonymization, c.upload_state AS uploadState, c.upload_id AS uploadId,
                c.captured_wall AS capturedWall, c.captured_uptime AS capturedUptime,
                (SELECT COUNT(*) FROM capture_audio a WHERE a.capture_id = c.id) AS hasAudio
         FROM captures c ORDER BY c.id DESC LIMIT ?`,
      )
      .all(limit) as Array<Omit<CaptureRow, "hasAudio"> & { hasAudio: number }>;
    return rows.map((r) => ({ ...r, hasAudio: r.hasAudio > 0 }));
  }

  /**
   * Deletes captures with their keys, audio and queued uploads; "today" is since local midnight
   * of `now` (by capture start). Anything already uploaded gets an upstream deletion request.
   * The WAL is checkpointed afterwards so nothing deleted lingers in it.
   */
  delete(scope: DeleteScope, now: Timestamp, record?: (r: Removed) => void): Removed {
    let where: string;
    const args: number[] = [];
    if (scope === "all") where = "1";
    else if (scope === "last") where = "id = (SELECT MAX(id) FROM captures)";
    else {
      const d = new Date(now);
      d.setHours(0, 0, 0, 0);
      where = "started_at >= ?";
      args.push(d.getTime());
    }
    return this.remove(where, args, now, record);
  }

  deleteId(id: number, now: number, record?: (r: Removed) => void): Removed {
    return this.remove("id = ?", [id], now, record);
  }

  /** Everything whose wall age or powered-on age reached the limit. */
  purgeExpired(now: LedgerTime, limitMs: number, record?: (r: Removed) => void): Removed {
    const b = expiryBounds(now, limitMs);
    return this.remove("captured_wall <= ? OR captured_uptime <= ?", [b.wall, b.uptime], now.wall, record);
  }

  /** Birth times of the oldest capture on each clock (null with none kept). */
  oldestBirths(): LedgerTime | null {
    const r = this.db.prepare("SELECT MIN(captured_wall) AS w, MIN(captured_uptime) AS u FROM captures").get() as { w: number | null; u: number | null };
    return r.w === null || r.u === null ? null : { wall: r.w, uptime: r.u };
  }

  /** All but the newest `keep` captures (a capture cap, retention.maxCaptures). */
  purgeBeyond(keep: number, now: number, record?: (r: Removed) => void): Removed {
    return this.remove("id NOT IN (SELECT id FROM captures ORDER BY id DESC LIMIT ?)", [keep], now, record);
  }

  /**
   * One transaction: upstream deletion requests for what was uploaded, export records, then the
   * captures (keys, audio and queued uploads go with them by cascade). Then the checkpoint.
   * Interrupted anywhere, it leaves either everything or nothing; the next purge redoes it.
   * `record` runs inside the same transaction (the audit event of the removal): a crash cannot
   * leave a deletion without its record, and a record that cannot be written undoes the deletion.
   */
  remove(where: string, args: number[], now: number, record?: (r: Removed) => void): Removed {
    const out = this.db
      .transaction((): Removed => {
        // Sent, or possibly delivered: a send was attempted (the reply may have been lost) or the
        // entry was dropped after attempts. The receiver answers 404 for what it never got.
        const uploaded = this.db
          .prepare(
            `SELECT upload_id AS u FROM captures WHERE (${where}) AND upload_id IS NOT NULL
             AND (upload_state IN ('sent', 'dropped') OR id IN (SELECT capture_id FROM upload_queue WHERE attempts > 0))`,
          )
          .all(...args) as Array<{ u: string }>;
        const ins = this.db.prepare("INSERT OR IGNORE INTO deletion_requests (upload_id, queued_at, next_attempt_at) VALUES (?, ?, ?)");
        for (const { u } of uploaded) ins.run(u, now, now);
        const files = (
          this.db.prepare(`SELECT path FROM export_files WHERE capture_id IN (SELECT id FROM captures WHERE ${where})`).all(...args) as Array<{ path: string }>
        ).map((r) => r.path);
        this.db.prepare(`DELETE FROM export_files WHERE capture_id IN (SELECT id FROM captures WHERE ${where})`).run(...args);
        const count = this.db.prepare(`DELETE FROM captures WHERE ${where}`).run(...args).changes;
        const removed = { count, deletionRequests: uploaded.length, exportFiles: files };
        record?.(removed);
        return removed;
      })
      .immediate();
    if (out.count > 0 || this.checkpointPending) this.retryCheckpoint();
    return out;
  }

  /** Every capture and household setting, every export record (wipe). */
  removeAll(now: number): Removed {
    const out = this.remove("1", [], now);
    const stray = (this.db.prepare("SELECT path FROM export_files").all() as Array<{ path: string }>).map((r) => r.path);
    this.db
      .transaction(() => {
        this.db.prepare("DELETE FROM export_files").run();
        // Fleet policy state (policy.*) is the operator's, not the household's: a wipe must not
        // reopen the device to replays of older policies.
        // Nor the ledger's own bookkeeping (ledger.*: whether keys are stored wrapped).
        this.db.prepare("DELETE FROM settings WHERE name NOT LIKE 'policy.%' AND name NOT LIKE 'ledger.%'").run();
      })
      .immediate();
    return { ...out, exportFiles: [...out.exportFiles, ...stray] };
  }

  /**
   * Start-up repair: rows that cannot be part of a complete capture (a key without audio, audio
   * without a key, export records of captures that are gone). Returns what was removed.
   */
  removeOrphans(): { keys: number; audio: number; exportFiles: string[] } {
    const r = this.db
      .transaction(() => {
        const keys = this.db.prepare("DELETE FROM capture_keys WHERE capture_id NOT IN (SELECT capture_id FROM capture_audio)").run().changes;
        const audio = this.db.prepare("DELETE FROM capture_audio WHERE capture_id NOT IN (SELECT capture_id FROM capture_keys)").run().changes;
        const files = (this.db.prepare("SELECT path FROM export_files WHERE capture_id NOT IN (SELECT id FROM captures)").all() as Array<{ path: string }>).map(
          (x) => x.path,
        );
        this.db.prepare("DELETE FROM export_files WHERE capture_id NOT IN (SELECT id FROM captures)").run();
        return { keys, audio, exportFiles: files };
      })
      .immediate();
    if (r.keys || r.audio || r.exportFiles.length) checkpoint(this.db);
    return r;
  }
}
