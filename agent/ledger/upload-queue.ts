/**
 * The upload queue: a de-identified envelope per capture waiting to be sent (the audio is read
 * from the capture when sending, so there is no copy), with attempts and backoff; bounded.
 */
import type { Db } from "./agent-db.ts";
import type { QueuedUpload } from "./captures.ts";

export class UploadQueue {
  readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /** When the next upload is due (null with none). */
  nextUploadDue(): number | null {
    return (this.db.prepare("SELECT MIN(next_attempt_at) AS t FROM upload_queue").get() as { t: number | null }).t;
  }

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

  /** The next time any queued upload or deletion request is due, or null with none. */
  nextDue(): number | null {
    return (
      this.db
        .prepare("SELECT MIN(t) AS t FROM (SELECT MIN(next_attempt_at) AS t FROM upload_queue UNION ALL SELECT MIN(next_attempt_at) FROM deletion_requests)")
        .get() as { t: number | null }
    ).t;
  }

  /**
   * The receiver has the upload. If the capture was deleted while it was being sent, the
   * receiver must delete it too: a deletion request is queued instead.
   */
  sent(captureId: number, uploadId: string, now: number): void {
    this.db
      .transaction(() => {
        this.db.prepare("DELETE FROM upload_queue WHERE capture_id = ?").run(captureId);
        const n = this.db.prepare("UPDATE captures SET upload_state = 'sent' WHERE id = ?").run(captureId).changes;
        if (n === 0)
          this.db.prepare("INSERT OR IGNORE INTO deletion_requests (upload_id, queued_at, next_attempt_at) VALUES (?, ?, ?)").run(uploadId, now, now);
      })
      .immediate();
  }

  /**
   * A send failed. If the capture was deleted meanwhile, the receiver may have it anyway (the
   * reply was lost): a deletion request is queued for its upload id.
   */
  failed(captureId: number, nextAttemptAt: number, error: string, uploadId?: string, now?: number): void {
    const n = this.db
      .prepare("UPDATE upload_queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE capture_id = ?")
      .run(nextAttemptAt, error, captureId).changes;
    if (n === 0 && uploadId)
      this.db.prepare("INSERT OR IGNORE INTO deletion_requests (upload_id, queued_at, next_attempt_at) VALUES (?, ?, ?)").run(uploadId, now ?? 0, now ?? 0);
  }

  /** Uploads are no longer allowed for this capture: out of the queue, kept locally. */
  dropUpload(captureId: number): void {
    this.db
      .transaction(() => {
        this.db.prepare("DELETE FROM upload_queue WHERE capture_id = ?").run(captureId);
        this.db.prepare("UPDATE captures SET upload_state = 'dropped' WHERE id = ? AND upload_state = 'queued'").run(captureId);
      })
      .immediate();
  }

  /** The household withdrew its uploads consent: every queued upload out, the captures kept locally. Returns how many. */
  dropAll(): number {
    return this.db
      .transaction(() => {
        this.db.prepare("UPDATE captures SET upload_state = 'dropped' WHERE id IN (SELECT capture_id FROM upload_queue)").run();
        return this.db.prepare("DELETE FROM upload_queue").run().changes;
      })
      .immediate();
  }

  /** The household withdrew training use: every queued envelope now says trainingAllowed false. Returns how many changed. */
  untrainAll(): number {
    return this.db
      .prepare(
        "UPDATE upload_queue SET envelope = json_set(envelope, '$.trainingAllowed', json('false')) WHERE json_extract(envelope, '$.trainingAllowed') = 1",
      )
      .run().changes;
  }

  /** Makes every queued upload due now (`spa uploads retry`). Returns how many. */
  retryNow(now: number): number {
    return this.db.prepare("UPDATE upload_queue SET next_attempt_at = ?").run(now).changes;
  }

  /** Keeps the queue bounded: the oldest entries beyond `max` are dropped (capture kept locally). */
  trimQueue(max: number): number {
    return this.db
      .transaction(() => {
        const over = this.db.prepare("SELECT capture_id AS id FROM upload_queue ORDER BY queued_at DESC, capture_id DESC LIMIT -1 OFFSET ?").all(max) as Array<{
          id: number;
        }>;
        for (const { id } of over) {
          this.db.prepare("DELETE FROM upload_queue WHERE capture_id = ?").run(id);
          this.db.prepare("UPDATE captures SET upload_state = 'dropped' WHERE id = ?").run(id);
        }
        return over.length;
      })
      .immediate();
  }
}
