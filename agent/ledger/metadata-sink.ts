/**
 * The session sink until the voice pipeline exists: it records what was kept (trigger, times,
 * frame count, why it ended) and zero-fills the audio without storing or sending any of it.
 * It also answers the household's delete requests over those records.
 */
import type { KeptSession, SessionSink } from "../ports/session-sink.ts";
import type { Timestamp } from "../units.ts";
import { checkpoint, type Db } from "./agent-db.ts";

export type DeleteScope = "last" | "today" | "all";

export interface SessionRow {
  id: number;
  trigger: "wake" | "talk";
  keyword: string | null;
  startedAt: number;
  endedAt: number;
  frames: number;
  endReason: string;
}

export class MetadataOnlySink implements SessionSink {
  constructor(readonly db: Db) {}

  async keep(session: KeptSession, audio: Int16Array): Promise<void> {
    audio.fill(0);
    this.db
      .prepare("INSERT INTO sessions (trigger, keyword, started_at, ended_at, frames, end_reason) VALUES (?, ?, ?, ?, ?, ?)")
      .run(session.trigger, session.keyword ?? null, session.startedAt, session.endedAt, session.frames, session.endReason);
  }

  count(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM sessions").get() as { n: number }).n;
  }

  list(limit = 50): SessionRow[] {
    return this.db
      .prepare(
        "SELECT id, trigger, keyword, started_at AS startedAt, ended_at AS endedAt, frames, end_reason AS endReason FROM sessions ORDER BY id DESC LIMIT ?",
      )
      .all(limit) as SessionRow[];
  }

  /**
   * Deletes kept sessions; "today" is since local midnight of `now`. The WAL is checkpointed
   * afterwards so the deleted rows do not linger in it. Returns how many were deleted.
   */
  delete(scope: DeleteScope, now: Timestamp): number {
    let n: number;
    if (scope === "all") n = this.db.prepare("DELETE FROM sessions").run().changes;
    else if (scope === "last") n = this.db.prepare("DELETE FROM sessions WHERE id = (SELECT MAX(id) FROM sessions)").run().changes;
    else {
      const d = new Date(now);
      d.setHours(0, 0, 0, 0);
      n = this.db.prepare("DELETE FROM sessions WHERE started_at >= ?").run(d.getTime()).changes;
    }
    checkpoint(this.db);
    return n;
  }
}
