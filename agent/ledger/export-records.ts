/**
 * Records of the copies `spa export` wrote (path and capture): each copy is deleted with its
 * capture, by deletion or expiry (CaptureStore.remove reads these records in its transaction).
 */
import type { Db } from "./agent-db.ts";

export class ExportRecords {
  readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  record(path: string, captureId: number, at: number): void {
    this.db.prepare("INSERT OR REPLACE INTO export_files (path, capture_id, created_at) VALUES (?, ?, ?)").run(path, captureId, at);
  }
}
