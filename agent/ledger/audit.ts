/**
 * The privacy audit log: append-only events (causes and counts, never audio, transcripts or
 * identifiers) in a SHA-256 hash chain. Each event's hash covers the previous hash and the
 * event's canonical form, so rewriting, deleting or reordering any event breaks every hash
 * after it. Old events can be pruned: the hash of the last pruned event is kept as the anchor
 * the remaining chain starts from, so what is left still verifies.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "./agent-db.ts";
import { AuditHead, type ChainHead } from "./audit-head.ts";

export interface AuditRecord {
  seq: number;
  at: number;
  type: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type VerifyResult =
  | {
      ok: true;
      checked: number;
      anchorSeq: number;
      head: "matches" | "not kept";
      /** Newest events the head does not confirm yet (a crash between the commit and the head's write). */ unconfirmed?: number;
    }
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
  /** The chain head kept apart from agent.db (audit-head.ts); null for an in-memory ledger. */
  readonly head: AuditHead | null;
  readonly db: Db;
  constructor(db: Db, head?: AuditHead | null) {
    this.db = db;
    this.head = head === undefined ? AuditHead.forDb(db.name) : head;
  }

  /** The chain's head as agent.db has it now. */
  current(): ChainHead {
    const a = this.db.prepare("SELECT seq, hash FROM audit_anchor WHERE id = 1").get() as { seq: number; hash: string } | undefined;
    const last = this.db.prepare("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").get() as { id: number; hash: string } | undefined;
    const anchor = a ?? { seq: 0, hash: "" };
    return { seq: last?.id ?? anchor.seq, hash: last?.hash ?? anchor.hash, anchorSeq: anchor.seq, anchorHash: anchor.hash };
  }

  /**
   * Records the head after a change. Never ahead of agent.db: written after the commit, and
   * only forward (another process may have recorded a later head meanwhile), except `reset`.
   */
  #recordHead(reset = false): void {
    if (!this.head) return;
    const now = this.current();
    if (!reset) {
      const r = this.head.read();
      if (r.kind === "ok" && r.head.seq > now.seq) return;
    }
    this.head.write(now);
  }

  #anchor(): { seq: number; hash: string } {
    const a = this.db.prepare("SELECT seq, hash FROM audit_anchor WHERE id = 1").get() as { seq: number; hash: string } | undefined;
    if (a) return a;
    const fresh = { seq: 0, hash: newGenesis() };
    this.db.prepare("INSERT INTO audit_anchor (id, seq, hash) VALUES (1, ?, ?)").run(fresh.seq, fresh.hash);
    return fresh;
  }

  append(at: number, type: string, data: Record<string, unknown>): AuditRecord {
    const rec = this.db
      .transaction(() => {
        const last = this.db.prepare("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").get() as { id: number; hash: string } | undefined;
        const anchor = this.#anchor();
        const prevHash = last?.hash ?? anchor.hash;
        // Sequence numbers continue across pruning (AUTOINCREMENT never reuses ids).
        const seq = Math.max(last?.id ?? 0, anchor.seq) + 1;
        const hash = eventHash(prevHash, seq, at, type, data);
        this.db
          .prepare("INSERT INTO events (id, at, type, json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)")
          .run(seq, at, type, JSON.stringify(data), prevHash, hash);
        return { seq, at, type, data, prevHash, hash };
      })
      .immediate();
    // Inside an enclosing transaction (a deletion with its event) the head waits for the commit.
    if (!this.db.inTransaction) this.#recordHead();
    return rec;
  }

  /**
   * A ledger from before chain heads: its chain as it stands becomes the first head, once
   * (remembered in agent.db, so a head file removed later is reported, not adopted again).
   */
  adoptHead(): void {
    if (!this.head || this.head.exists) return;
    const done = this.db.prepare("SELECT value FROM settings WHERE name = 'ledger.headAdopted'").get();
    if (done) return;
    if (this.db.prepare("SELECT 1 FROM audit_anchor").get() || this.count() > 0) this.head.write(this.current());
    this.db.prepare("INSERT INTO settings (name, value, updated_at) VALUES ('ledger.headAdopted', '1', 0) ON CONFLICT(name) DO NOTHING").run();
  }

  /** Records the head once an enclosing transaction has committed (see Ledger). */
  committed(): void {
    this.#recordHead();
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
    if (!anchor) return this.count() === 0 ? this.#checkHead(0, 0) : { ok: false, checked: 0, brokenAt: 0, reason: "the chain's anchor is missing" };
    let prev = anchor.hash;
    let expectSeq = anchor.seq + 1;
    let checked = 0;
    for (const r of this.db.prepare("SELECT id, at, type, json, prev_hash, hash FROM events ORDER BY id").iterate() as IterableIterator<Row>) {
      if (r.id !== expectSeq)
        return { ok: false, checked, brokenAt: expectSeq, reason: r.id > expectSeq ? `event ${expectSeq} is missing` : `event ${r.id} is out of order` };
      if (r.prev_hash !== prev) return { ok: false, checked, brokenAt: r.id, reason: `event ${r.id} does not follow the event before it` };
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(r.json) as Record<string, unknown>;
      } catch {
        return { ok: false, checked, brokenAt: r.id, reason: `event ${r.id} is not readable` };
      }
      if (eventHash(prev, r.id, r.at, r.type, data) !== r.hash)
        return { ok: false, checked, brokenAt: r.id, reason: `event ${r.id} was changed after it was written` };
      prev = r.hash;
      expectSeq++;
      checked++;
    }
    return this.#checkHead(checked, anchor.seq);
  }

  /** The chain verifies in itself; does it end where the head kept apart says it does? */
  #checkHead(checked: number, anchorSeq: number): VerifyResult {
    if (!this.head) return { ok: true, checked, anchorSeq, head: "not kept" };
    const r = this.head.read();
    if (r.kind === "none") {
      const empty = !this.db.prepare("SELECT 1 FROM audit_anchor").get() && this.count() === 0;
      return empty
        ? { ok: true, checked, anchorSeq, head: "not kept" }
        : { ok: false, checked, brokenAt: 0, reason: `the chain head ${this.head.path} is missing: events may have been removed` };
    }
    if (r.kind === "bad") return { ok: false, checked, brokenAt: 0, reason: r.reason };
    const h = r.head;
    const now = this.current();
    const fail = (brokenAt: number, reason: string): VerifyResult => ({ ok: false, checked, brokenAt, reason });
    if (now.anchorSeq === 0 && now.seq === 0 && h.seq > 0)
      return fail(1, `all ${h.seq - h.anchorSeq} events were removed (the chain head records event ${h.seq})`);
    // Pruning records the new anchor in the head; an anchor the head does not know was moved by hand.
    if (now.anchorSeq !== h.anchorSeq || now.anchorHash !== h.anchorHash)
      return fail(
        now.anchorSeq,
        `the chain's anchor was replaced (the head has it after event ${h.anchorSeq}, agent.db after event ${now.anchorSeq}): the oldest events were removed or rewritten`,
      );
    if (now.seq < h.seq)
      return fail(now.seq + 1, `the last ${h.seq - now.seq} events were removed (the chain head records event ${h.seq}, agent.db ends at ${now.seq})`);
    const at = this.db.prepare("SELECT hash FROM events WHERE id = ?").get(h.seq) as { hash: string } | undefined;
    const headHash = at?.hash ?? (h.seq === now.anchorSeq ? now.anchorHash : undefined);
    if (headHash !== h.hash)
      return fail(h.seq, `event ${h.seq} differs from the one the chain head records: events were rewritten and their hashes recomputed`);
    // Events after the head: nothing is hidden by them (a crash between a commit and the head's
    // write leaves this); they are reported, and the next event written confirms them.
    if (now.seq > h.seq) return { ok: true, checked, anchorSeq, head: "matches", unconfirmed: now.seq - h.seq };
    return { ok: true, checked, anchorSeq, head: "matches" };
  }

  /**
   * Deletes the oldest events, up to (not including) the first one stamped at or after `before`;
   * the last deleted event's hash becomes the anchor. Only a prefix of the chain can go, and an
   * event stamped with a wrong clock (1970) later in the chain cannot pull newer ones with it.
   */
  prune(before: number): number {
    const pruned = this.db
      .transaction(() => {
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
      })
      .immediate();
    // The anchor moved legitimately: the head follows (forward only).
    if (pruned > 0 && !this.db.inTransaction) this.#recordHead();
    return pruned;
  }

  /** Drops every event and starts a new chain from a new random genesis (wipe). */
  restart(): void {
    this.db
      .transaction(() => {
        this.db.prepare("DELETE FROM events").run();
        this.db
          .prepare("INSERT INTO audit_anchor (id, seq, hash) VALUES (1, 0, ?) ON CONFLICT(id) DO UPDATE SET seq = 0, hash = excluded.hash")
          .run(newGenesis());
        // AUTOINCREMENT keeps its high-water mark in sqlite_sequence; a new chain starts at 1.
        this.db.prepare("DELETE FROM sqlite_sequence WHERE name = 'events'").run();
      })
      .immediate();
    // A wipe starts a new chain: the head starts over with it.
    this.#recordHead(true);
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
