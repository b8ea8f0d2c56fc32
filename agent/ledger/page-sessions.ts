/**
 * The household page's paired sessions (agent/page): a phone that entered the speaker's code
 * holds a random 256-bit token in a cookie; the ledger keeps only its SHA-256, so a copy of
 * agent.db opens no session. A session ends when it is revoked (the page's "sign out",
 * `spa page sessions revoke`), after `idleDays` unused, or with a wipe.
 */
import { createHash } from "node:crypto";
import type { Db } from "./agent-db.ts";

export interface PageSession {
  id: number;
  label: string;
  createdAt: number;
  lastSeenAt: number;
}

const hash = (token: string): string => createHash("sha256").update(token).digest("hex");
const COLS = "id, label, created_at AS createdAt, last_seen_at AS lastSeenAt";

export class PageSessions {
  readonly db: Db;
  readonly idleMs: number;
  constructor(db: Db, idleMs: number) {
    this.db = db;
    this.idleMs = idleMs;
  }

  create(token: string, label: string, at: number): number {
    return Number(
      this.db.prepare("INSERT INTO page_sessions (token_hash, label, created_at, last_seen_at) VALUES (?, ?, ?, ?)").run(hash(token), label, at, at)
        .lastInsertRowid,
    );
  }

  /** The live session holding this token (its last use moved to `at`), or null. */
  find(token: string, at: number): PageSession | null {
    const r = this.db.prepare(`SELECT ${COLS} FROM page_sessions WHERE token_hash = ? AND revoked_at IS NULL`).get(hash(token)) as PageSession | undefined;
    if (!r) return null;
    if (at - r.lastSeenAt >= this.idleMs) {
      this.revoke(r.id, at);
      return null;
    }
    // Written at most once a minute: a page polling the agent must not write the ledger on every request.
    if (at - r.lastSeenAt >= 60_000) this.db.prepare("UPDATE page_sessions SET last_seen_at = ? WHERE id = ?").run(at, r.id);
    return r;
  }

  list(at: number): PageSession[] {
    return (this.db.prepare(`SELECT ${COLS} FROM page_sessions WHERE revoked_at IS NULL ORDER BY id`).all() as PageSession[]).filter(
      (s) => at - s.lastSeenAt < this.idleMs,
    );
  }

  /** Ends one session, or every one; how many were live. */
  revoke(id: number | "all", at: number): number {
    const r =
      id === "all"
        ? this.db.prepare("UPDATE page_sessions SET revoked_at = ? WHERE revoked_at IS NULL").run(at)
        : this.db.prepare("UPDATE page_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(at, id);
    return Number(r.changes);
  }

  clear(): number {
    return Number(this.db.prepare("DELETE FROM page_sessions").run().changes);
  }
}
