/**
 * Kept captures in data/agent.db: metadata rows, the voice-modified audio encrypted with
 * AES-256-GCM under a per-capture random key (separate table: deleting the key row shreds the
 * audio), and the persistent upload queue (envelopes only; audio is decrypted when sending).
 * Raw audio never reaches this module: callers hand it modified audio only.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Timestamp } from "../units.ts";
import { checkpoint, type Db } from "./agent-db.ts";

export type DeleteScope = "last" | "today" | "all";
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
  constructor(readonly db: Db) {}

  /**
   * Stores one capture and its (modified) audio, encrypted; optionally queues its upload, all
   * in one transaction. The plaintext buffer made here is zero-filled before returning.
   */
  insert(meta: CaptureMeta, audio: Int16Array | null, upload: { uploadId: string; envelope: string; at: number } | null): number {
    const plain = audio ? pcmBytes(audio) : null;
    const key = randomBytes(32);
    try {
      return this.db.transaction(() => {
        const id = Number(
          this.db
            .prepare(
              `INSERT INTO captures (trigger, keyword, started_at, ended_at, duration_ms, end_reason, policy_version, anonymization, upload_state, upload_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(meta.trigger, meta.keyword, meta.startedAt, meta.endedAt, meta.durationMs, meta.endReason, meta.policyVersion, meta.anonymization, upload ? "queued" : "none", upload?.uploadId ?? null).lastInsertRowid,
        );
        if (plain) {
          const iv = randomBytes(12);
          const c = createCipheriv("aes-256-gcm", key, iv);
          c.setAAD(aad(id));
          const ciphertext = Buffer.concat([c.update(plain), c.final()]);
          this.db.prepare("INSERT INTO capture_keys (capture_id, key) VALUES (?, ?)").run(id, key);
          this.db.prepare("INSERT INTO capture_audio (capture_id, iv, tag, ciphertext) VALUES (?, ?, ?, ?)").run(id, iv, c.getAuthTag(), ciphertext);
        }
        if (upload) {
          this.db
            .prepare("INSERT INTO upload_queue (capture_id, envelope, attempts, next_attempt_at, queued_at) VALUES (?, ?, 0, ?, ?)")
            .run(id, upload.envelope, upload.at, upload.at);
        }
        return id;
      })();
    } finally {
      plain?.fill(0);
      key.fill(0);
    }
  }

  /** The stored modified audio, decrypted; null when there is none or its key is gone. */
  audio(id: number): Int16Array | null {
    const row = this.db
      .prepare("SELECT k.key AS key, a.iv AS iv, a.tag AS tag, a.ciphertext AS ct FROM capture_audio a JOIN capture_keys k USING (capture_id) WHERE capture_id = ?")
      .get(id) as { key: Buffer; iv: Buffer; tag: Buffer; ct: Buffer } | undefined;
    if (!row) return null;
    const d = createDecipheriv("aes-256-gcm", row.key, row.iv);
    d.setAAD(aad(id));
    d.setAuthTag(row.tag);
    const plain = Buffer.concat([d.update(row.ct), d.final()]);
    row.key.fill(0);
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
                (SELECT COUNT(*) FROM capture_audio a WHERE a.capture_id = c.id) AS hasAudio
         FROM captures c ORDER BY c.id DESC LIMIT ?`,
      )
      .all(limit) as Array<Omit<CaptureRow, "hasAudio"> & { hasAudio: number }>;
    return rows.map((r) => ({ ...r, hasAudio: r.hasAudio > 0 }));
  }

  /**
   * Deletes captures with their keys, audio and queued uploads; "today" is since local midnight
   * of `now`. The WAL is checkpointed afterwards so nothing deleted lingers in it.
   */
  delete(scope: DeleteScope, now: Timestamp): number {
    let n: number;
    if (scope === "all") n = this.db.prepare("DELETE FROM captures").run().changes;
    else if (scope === "last") n = this.db.prepare("DELETE FROM captures WHERE id = (SELECT MAX(id) FROM captures)").run().changes;
    else {
      const d = new Date(now);
      d.setHours(0, 0, 0, 0);
      n = this.db.prepare("DELETE FROM captures WHERE started_at >= ?").run(d.getTime()).changes;
    }
    checkpoint(this.db);
    return n;
  }

  // --- upload queue -------------------------------------------------------------------------

  queued(): QueuedUpload[] {
    return this.db
      .prepare(
        "SELECT capture_id AS captureId, envelope, attempts, next_attempt_at AS nextAttemptAt, last_error AS lastError, queued_at AS queuedAt FROM upload_queue ORDER BY queued_at, capture_id",
      )
      .all() as QueuedUpload[];
  }

  /** Queued uploads due at `now`, oldest first. */
  due(now: number, limit: number): QueuedUpload[] {
    return this.db
      .prepare(
        "SELECT capture_id AS captureId, envelope, attempts, next_attempt_at AS nextAttemptAt, last_error AS lastError, queued_at AS queuedAt FROM upload_queue WHERE next_attempt_at <= ? ORDER BY queued_at, capture_id LIMIT ?",
      )
      .all(now, limit) as QueuedUpload[];
  }

  /** The next time any queued upload is due, or null with an empty queue. */
  nextDue(): number | null {
    return (this.db.prepare("SELECT MIN(next_attempt_at) AS t FROM upload_queue").get() as { t: number | null }).t;
  }

  sent(captureId: number): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM upload_queue WHERE capture_id = ?").run(captureId);
      this.db.prepare("UPDATE captures SET upload_state = 'sent' WHERE id = ?").run(captureId);
    })();
  }

  failed(captureId: number, nextAttemptAt: number, error: string): void {
    this.db.prepare("UPDATE upload_queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE capture_id = ?").run(nextAttemptAt, error, captureId);
  }

  /** Makes every queued upload due now (`spa uploads retry`). Returns how many. */
  retryNow(now: number): number {
    return this.db.prepare("UPDATE upload_queue SET next_attempt_at = ?").run(now).changes;
  }

  /** Keeps the queue bounded: the oldest entries beyond `max` are dropped (capture kept locally). */
  trimQueue(max: number): number {
    return this.db.transaction(() => {
      const over = this.db.prepare("SELECT capture_id AS id FROM upload_queue ORDER BY queued_at DESC, capture_id DESC LIMIT -1 OFFSET ?").all(max) as Array<{ id: number }>;
      for (const { id } of over) {
        this.db.prepare("DELETE FROM upload_queue WHERE capture_id = ?").run(id);
        this.db.prepare("UPDATE captures SET upload_state = 'dropped' WHERE id = ?").run(id);
      }
      return over.length;
    })();
  }

  // --- household settings ------------------------------------------------------------------

  setting(name: string): string | null {
    return (this.db.prepare("SELECT value FROM settings WHERE name = ?").get(name) as { value: string } | undefined)?.value ?? null;
  }

  setSetting(name: string, value: string, at: number): void {
    this.db.prepare("INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at").run(name, value, at);
  }
}
