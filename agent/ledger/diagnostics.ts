/** The diagnostics bundles' table (agent/diagnostics/lifecycle.ts has the rules). */
import type { DiagnosticsRecord, DiagnosticsState } from "../diagnostics/lifecycle.ts";
import { checkpoint, type Db } from "./agent-db.ts";

type Row = {
  id: number;
  fault: string;
  state: DiagnosticsState;
  categories: string;
  preparedAt: number;
  sentAt: number | null;
  debugCompleteAt: number | null;
  deletedAt: number | null;
  overdueReported: number;
};
const COLS =
  "id, fault, state, categories, prepared_at AS preparedAt, sent_at AS sentAt, debug_complete_at AS debugCompleteAt, deleted_at AS deletedAt, overdue_reported AS overdueReported";
const record = (r: Row): DiagnosticsRecord => ({ ...r, categories: JSON.parse(r.categories) as string[], overdueReported: r.overdueReported === 1 });

export class DiagnosticsStore {
  readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  add(fault: string, categories: string[], bundle: string, at: number): number {
    return Number(
      this.db
        .prepare("INSERT INTO diagnostics (fault, state, categories, bundle, prepared_at) VALUES (?, 'prepared', ?, ?, ?)")
        .run(fault, JSON.stringify(categories), bundle, at).lastInsertRowid,
    );
  }

  get(id: number): DiagnosticsRecord | null {
    const r = this.db.prepare(`SELECT ${COLS} FROM diagnostics WHERE id = ?`).get(id) as Row | undefined;
    return r ? record(r) : null;
  }

  list(): DiagnosticsRecord[] {
    return (this.db.prepare(`SELECT ${COLS} FROM diagnostics ORDER BY id`).all() as Row[]).map(record);
  }

  bundle(id: number): string | null {
    return (this.db.prepare("SELECT bundle FROM diagnostics WHERE id = ?").get(id) as { bundle: string | null } | undefined)?.bundle ?? null;
  }

  /** Sent: the local copy goes (secure_delete overwrites it; checkpointed). */
  sent(id: number, at: number): void {
    this.db.prepare("UPDATE diagnostics SET state = 'sent', sent_at = ?, bundle = NULL WHERE id = ?").run(at, id);
    checkpoint(this.db);
  }

  setState(id: number, state: DiagnosticsState, at: number): void {
    const col = state === "debug-complete" ? "debug_complete_at" : state === "deleted" ? "deleted_at" : null;
    if (col) this.db.prepare(`UPDATE diagnostics SET state = ?, ${col} = ? WHERE id = ?`).run(state, at, id);
    else this.db.prepare("UPDATE diagnostics SET state = ? WHERE id = ?").run(state, id);
  }

  markOverdueReported(id: number): void {
    this.db.prepare("UPDATE diagnostics SET overdue_reported = 1 WHERE id = ?").run(id);
  }

  /** Prepared, unsent bundles discarded (the consent withdrawn). Returns how many. */
  discardPrepared(): number {
    const n = this.db.prepare("UPDATE diagnostics SET state = 'discarded', bundle = NULL WHERE state = 'prepared'").run().changes;
    if (n) checkpoint(this.db);
    return n;
  }

  clear(): number {
    return this.db.prepare("DELETE FROM diagnostics").run().changes;
  }
}
