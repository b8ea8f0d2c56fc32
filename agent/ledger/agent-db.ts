/**
 * data/agent.db: the agent's one SQLite file (better-sqlite3). Opened with WAL,
 * synchronous=FULL (a mute that was acknowledged survives a power cut), foreign keys, and
 * secure_delete=ON (deleted rows are overwritten, not left in free pages). Schema changes are
 * numbered migrations run at open, tracked in PRAGMA user_version.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { AgentError, toError } from "../errors.ts";

export type Db = Database.Database;

/** Migration N takes the schema from version N-1 to N. Never edit one that has shipped. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE gate_state (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     json TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE sessions (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     trigger TEXT NOT NULL CHECK (trigger IN ('wake', 'talk')),
     keyword TEXT,
     started_at INTEGER NOT NULL,
     ended_at INTEGER NOT NULL,
     frames INTEGER NOT NULL CHECK (frames >= 0),
     end_reason TEXT NOT NULL
   );
   CREATE INDEX sessions_started ON sessions(started_at);
   CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     type TEXT NOT NULL,
     json TEXT NOT NULL
   );`,
];

export function openAgentDb(path: string): Db {
  let db: Db;
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
  } catch (e) {
    throw new AgentError("LEDGER_OPEN_FAILED", `cannot open ${path}: ${toError(e).message}`, { cause: e });
  }
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("secure_delete = ON");
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new AgentError("LEDGER_OPEN_FAILED", `agent.db is schema version ${current}, newer than this agent (${MIGRATIONS.length}); refusing to downgrade`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** After deleting anything personal: move the WAL into the main file and truncate it. */
export function checkpoint(db: Db): void {
  db.pragma("wal_checkpoint(TRUNCATE)");
}
