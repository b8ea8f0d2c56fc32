/**
 * The privacy audit log: append-only events (causes and counts, never audio, transcripts or
 * identifiers) in a SHA-256 hash chain. Each event's hash covers the previous hash and the
 * event's canonical form, so rewriting, deleting or reordering any event breaks every hash
 * after it. Old events can be pruned: the hash of the last pruned event is kept as the anchor
 * the remaining chain starts from, so what is left still verifies.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "./agent-db.ts";

export interface AuditRecord {
  seq: number;
  at: number;
  type: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type VerifyResult =
  | { ok: true; checked: number; anchorSeq: number }
  | { ok: false; checked: number; brokenAt: number; reason: string };

/** JSON with object keys sorted at every level: one byte string per value. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(",")}}`;
}

export function eventHash(prevHash: string, seq: number, at: number, type: string, data: Record<string, unknown>): string {
  return createHash("sha256").update(prevHash).update("\n").update(canonicalJson({ seq, at, type, data })).digest("hex");
}

/** A fresh chain start: random, so two chains (before and after a wipe) never share hashes. */
export function newGenesis(): string {
  return randomBytes(32).toString("hex");
}

interface Row {
  id: number;
  at: number;
  type: string;
  json: string;
  prev_hash: string | null;
  hash: string | null;
}

export class AuditLog {
  constructor(readonly db: Db) {}

  #anchor(): { seq: number; hash: string } {
    const a = this.db.prepare("SELECT seq, hash FROM audit_anchor WHERE id = 1").get() as { seq: number; hash: string } | undefined;
    if (a) return a;
    const fresh = { seq: 0, hash: newGenesis() };
    this.db.prepare("INSERT INTO audit_anchor (id, seq, hash) VALUES (1, ?, ?)").run(fresh.seq, fresh.hash);
    return fresh;
  }

  append(at: number, type: string, data: Record<string, unknown>): AuditRecord {
    return this.db.transaction(() => {
      const last = this.db.prepare("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").get() as { id: number; hash: string } | undefined;
      const anchor = this.#anchor();
      const prevHash = last?.hash ?? anchor.hash;
      // Sequence numbers continue across pruning (AUTOINCREMENT never reuses ids).
      const seq = Math.max(last?.id ?? 0, anchor.seq) + 1;
      const hash = eventHash(prevHash, seq, at, type, data);
      this.db.prepare("INSERT INTO events (id, at, type, json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)").run(seq, at, type, JSON.stringify(data), prevHash, hash);
      return { seq, at, type, data, prevHash, hash };
    }).immediate();
  }

  list(limit = 100): AuditRecord[] {
    const rows = this.db.prepare("SELECT id, at, type, json, prev_hash, hash FROM events ORDER BY id DESC LIMIT ?").all(limit) as Row[];
    return rows.reverse().map(toRecord);
  }

  count(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n;
  }

  /** Walks the chain from the anchor; says where it first breaks. */
  verify(): VerifyResult {
    const anchor = this.db.prepare("SELECT seq, hash FROM audit_anchor WHERE id = 1").get() as { seq: number; hash: string } | undefined;
    if (!anchor) return this.count() === 0 ? { ok: true, checked: 0, anchorSeq: 0 } : { ok: false, checked: 0, brokenAt: 0, reason: "the chain's anchor is missing" };
    let prev = anchor.hash;
    let expectSeq = anchor.seq + 1;
    let checked = 0;
    for (const r of this.db.prepare("SELECT id, at, type, json, prev_hash, hash FROM events ORDER BY id").iterate() as IterableIterator<Row>) {
      if (r.id !== expectSeq) return { ok: false, checked, brokenAt: expectSeq, reason: r.id > expectSeq ? `event ${expectSeq} is missing` : `event ${r.id} is out of order` };
      if (r.prev_hash !== prev) return { ok: false, checked, brokenAt: r.id, reason: `event ${r.id} does not follow the event before it` };
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(r.json) as Record<string, unknown>;
      } catch {
        return { ok: false, checked, brokenAt: r.id, reason: `event ${r.id} is not readable` };
      }
      if (eventHash(prev, r.id, r.at, r.type, data) !== r.hash) return { ok: false, checked, brokenAt: r.id, reason: `event ${r.id} was changed after it was written` };
      prev = r.hash;
      expectSeq++;
      checked++;
    }
    return { ok: true, checked, anchorSeq: anchor.seq };
  }

  /**
   * Deletes the oldest events, up to (not including) the first one stamped at or after `before`;
   * the last deleted event's hash becomes the anchor. Only a prefix of the chain can go, and an
   * event stamped with a wrong clock (1970) later in the chain cannot pull newer ones with it.
   */
  prune(before: number): number {
    return this.db.transaction(() => {
      this.#anchor();
      const keepFrom = (this.db.prepare("SELECT MIN(id) AS id FROM events WHERE at >= ?").get(before) as { id: number | null }).id;
      const last = (
        keepFrom === null
          ? this.db.prepare("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").get()
          : this.db.prepare("SELECT id, hash FROM events WHERE id < ? ORDER BY id DESC LIMIT 1").get(keepFrom)
      ) as { id: number; hash: string } | undefined;
      if (!last) return 0;
      const n = this.db.prepare("DELETE FROM events WHERE id <= ?").run(last.id).changes;
      this.db.prepare("UPDATE audit_anchor SET seq = ?, hash = ? WHERE id = 1").run(last.id, last.hash);
      return n;
    }).immediate();
  }

  /** Drops every event and starts a new chain from a new random genesis (wipe). */
  restart(): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM events").run();
      this.db.prepare("INSERT INTO audit_anchor (id, seq, hash) VALUES (1, 0, ?) ON CONFLICT(id) DO UPDATE SET seq = 0, hash = excluded.hash").run(newGenesis());
      // AUTOINCREMENT keeps its high-water mark in sqlite_sequence; a new chain starts at 1.
      this.db.prepare("DELETE FROM sqlite_sequence WHERE name = 'events'").run();
    }).immediate();
  }

  /** Migration helper: hashes events written before the chain existed, in order. */
  backfill(): void {
    const anchor = this.#anchor();
    let prev = anchor.hash;
    const rows = this.db.prepare("SELECT id, at, type, json, prev_hash, hash FROM events ORDER BY id").all() as Row[];
    const upd = this.db.prepare("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?");
    let expect = anchor.seq + 1;
    for (const r of rows) {
      // Renumber is not possible in place; old ids start at 1 and are contiguous unless rows
      // were deleted, in which case the gap is recorded by starting the chain after it.
      if (r.id !== expect) {
        this.db.prepare("UPDATE audit_anchor SET seq = ? WHERE id = 1").run(r.id - 1);
        expect = r.id;
      }
      const h = eventHash(prev, r.id, r.at, r.type, JSON.parse(r.json) as Record<string, unknown>);
      upd.run(prev, h, r.id);
      prev = h;
      expect++;
    }
  }
}

function toRecord(r: Row): AuditRecord {
  return { seq: r.id, at: r.at, type: r.type, data: JSON.parse(r.json) as Record<string, unknown>, prevHash: r.prev_hash ?? "", hash: r.hash ?? "" };
}
