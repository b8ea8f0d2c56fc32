/**
 * Upstream deletion requests: for each upload the receiver may hold whose capture was deleted
 * here (by the household, by expiry, or while it was being sent), a request to delete it there,
 * retried until the receiver confirms. They leave one at a time, in random order (issue 14.7).
 */
import type { Db } from "./agent-db.ts";

export interface DeletionRequest {
  uploadId: string;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
}

export class DeletionRequests {
  readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  list(): Array<{ uploadId: string; attempts: number; nextAttemptAt: number; lastError: string | null }> {
    return this.db
      .prepare(
        "SELECT upload_id AS uploadId, attempts, next_attempt_at AS nextAttemptAt, last_error AS lastError FROM deletion_requests ORDER BY queued_at, upload_id",
      )
      .all() as Array<{
      uploadId: string;
      attempts: number;
      nextAttemptAt: number;
      lastError: string | null;
    }>;
  }

  /**
   * A due deletion request. `pick` in [0, 1) chooses among all that are due, so several requests
   * leave in random order, not in the order of the captures (issue 14.7); 0 takes the oldest.
   */
  due(now: number, pick = 0): { uploadId: string; attempts: number } | null {
    const due = (this.db.prepare("SELECT COUNT(*) AS n FROM deletion_requests WHERE next_attempt_at <= ?").get(now) as { n: number }).n;
    if (due === 0) return null;
    const offset = Math.min(due - 1, Math.floor(pick * due));
    return (
      (this.db
        .prepare("SELECT upload_id AS uploadId, attempts FROM deletion_requests WHERE next_attempt_at <= ? ORDER BY queued_at, upload_id LIMIT 1 OFFSET ?")
        .get(now, offset) as { uploadId: string; attempts: number } | undefined) ?? null
    );
  }

  /** When the next deletion request is due (null with none). */
  nextDue(): number | null {
    return (this.db.prepare("SELECT MIN(next_attempt_at) AS t FROM deletion_requests").get() as { t: number | null }).t;
  }

  done(uploadId: string): void {
    this.db.prepare("DELETE FROM deletion_requests WHERE upload_id = ?").run(uploadId);
  }

  failed(uploadId: string, nextAttemptAt: number, error: string): void {
    this.db
      .prepare("UPDATE deletion_requests SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE upload_id = ?")
      .run(nextAttemptAt, error, uploadId);
  }
}
