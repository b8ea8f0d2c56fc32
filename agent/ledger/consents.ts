/** The consent registry's table (agent/consent/features.ts has the rules): append-only history. */
import type { ConsentBy, ConsentRecord } from "../consent/features.ts";
import type { Db } from "./agent-db.ts";

type Row = { seq: number; feature: string; person: string | null; granted: number; notice: string | null; by: ConsentBy; source: string; at: number };
const record = (r: Row): ConsentRecord => ({ ...r, granted: r.granted === 1 });

export class Consents {
  readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /** Every record, oldest first. */
  history(): ConsentRecord[] {
    return (this.db.prepare("SELECT seq, feature, person, granted, notice, by, source, at FROM consents ORDER BY seq").all() as Row[]).map(record);
  }

  append(r: Omit<ConsentRecord, "seq">): ConsentRecord {
    const res = this.db
      .prepare("INSERT INTO consents (feature, person, granted, notice, by, source, at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(r.feature, r.person, r.granted ? 1 : 0, r.notice, r.by, r.source, r.at);
    return { ...r, seq: Number(res.lastInsertRowid) };
  }

  /** A person's label corrected (voiceprint consents follow their voiceprints). Returns how many records. */
  renamePerson(from: string, to: string): number {
    return this.db.prepare("UPDATE consents SET person = ? WHERE person = ?").run(to, from).changes;
  }

  /** Everything of the household's (a wipe or check-out); returns how many records went. */
  clear(): number {
    return this.db.prepare("DELETE FROM consents").run().changes;
  }
}
