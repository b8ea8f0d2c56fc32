/**
 * data/agent.db: the agent's one SQLite file (node:sqlite, through ./sqlite.ts). Opened with WAL,
 * synchronous=FULL (a mute that was acknowledged survives a power cut), foreign keys, and
 * secure_delete=ON (deleted rows are overwritten, not left in free pages). Schema changes are
 * numbered migrations run at open, tracked in PRAGMA user_version.
 */
import { chmodSync, existsSync } from "node:fs";
import { dirname } from "node:path";
import { AgentError, toError } from "../errors.ts";
import { AuditLog } from "./audit.ts";
import { makeDirs } from "../fs-dirs.ts";
import { Database } from "./sqlite.ts";

export type Db = Database;

/** SQL, optionally followed by code (for what SQL cannot compute, such as SHA-256). */
export type Migration = string | { sql: string; after: (db: Db) => void };

/** Migration N takes the schema from version N-1 to N. Never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
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
  // 2: the voice pipeline. Captures replace sessions (their metadata is carried over; they
  // never had audio). Each capture's modified audio is AES-256-GCM encrypted under its own key,
  // kept in a separate table so deleting the key row shreds the audio. The upload queue holds
  // the envelope only; the audio is read from the capture when sending, so there is no copy.
  `CREATE TABLE captures (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     trigger TEXT NOT NULL CHECK (trigger IN ('wake', 'talk')),
     keyword TEXT,
     started_at INTEGER NOT NULL,
     ended_at INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
     end_reason TEXT NOT NULL,
     policy_version INTEGER NOT NULL,
     anonymization TEXT,
     upload_state TEXT NOT NULL CHECK (upload_state IN ('none', 'queued', 'sent', 'dropped')),
     upload_id TEXT UNIQUE
   );
   CREATE INDEX captures_started ON captures(started_at);
   INSERT INTO captures (id, trigger, keyword, started_at, ended_at, duration_ms, end_reason, policy_version, anonymization, upload_state)
     SELECT id, trigger, keyword, started_at, ended_at, frames * 32, end_reason, 0, NULL, 'none' FROM sessions;
   DROP TABLE sessions;
   CREATE TABLE capture_keys (
     capture_id INTEGER PRIMARY KEY REFERENCES captures(id) ON DELETE CASCADE,
     key BLOB NOT NULL CHECK (length(key) = 32)
   );
   CREATE TABLE capture_audio (
     capture_id INTEGER PRIMARY KEY REFERENCES captures(id) ON DELETE CASCADE,
     iv BLOB NOT NULL,
     tag BLOB NOT NULL,
     ciphertext BLOB NOT NULL
   );
   CREATE TABLE upload_queue (
     capture_id INTEGER PRIMARY KEY REFERENCES captures(id) ON DELETE CASCADE,
     envelope TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     last_error TEXT,
     queued_at INTEGER NOT NULL
   );
   CREATE TABLE settings (
     name TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );`,
  // 3: retention that survives clock trouble, upstream deletion requests, the audit chain,
  // and a record of exports (their copies of voice material expire with the originals).
  {
    sql: `ALTER TABLE captures ADD COLUMN captured_wall INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE captures ADD COLUMN captured_uptime INTEGER NOT NULL DEFAULT 0;
     UPDATE captures SET captured_wall = started_at;
     CREATE INDEX captures_wall ON captures(captured_wall);
     CREATE INDEX captures_uptime ON captures(captured_uptime);
     CREATE TABLE ledger_clock (
       id INTEGER PRIMARY KEY CHECK (id = 1),
       wall_high_water INTEGER NOT NULL,
       uptime_ms INTEGER NOT NULL
     );
     CREATE TABLE deletion_requests (
       upload_id TEXT PRIMARY KEY,
       queued_at INTEGER NOT NULL,
       attempts INTEGER NOT NULL DEFAULT 0,
       next_attempt_at INTEGER NOT NULL,
       last_error TEXT
     );
     CREATE TABLE export_files (
       path TEXT PRIMARY KEY,
       capture_id INTEGER NOT NULL,
       created_at INTEGER NOT NULL
     );
     CREATE INDEX export_files_capture ON export_files(capture_id);
     ALTER TABLE events ADD COLUMN prev_hash TEXT;
     ALTER TABLE events ADD COLUMN hash TEXT;
     CREATE TABLE audit_anchor (
       id INTEGER PRIMARY KEY CHECK (id = 1),
       seq INTEGER NOT NULL,
       hash TEXT NOT NULL
     );`,
    after: (db) => new AuditLog(db).backfill(),
  },
  // 4: the consent registry (agent/consent/features.ts): every choice about an optional feature,
  // append-only, the newest per feature and person in force. The training-use setting moves in.
  // Voiceprints (ledger/voiceprints.ts): wake-word templates per person, encrypted like captures.
  `CREATE TABLE consents (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     feature TEXT NOT NULL,
     person TEXT,
     granted INTEGER NOT NULL CHECK (granted IN (0, 1)),
     notice TEXT,
     by TEXT NOT NULL CHECK (by IN ('household', 'guardian', 'operator', 'wipe')),
     source TEXT NOT NULL,
     at INTEGER NOT NULL
   );
   CREATE INDEX consents_feature ON consents(feature, person);
   INSERT INTO consents (feature, person, granted, notice, by, source, at)
     SELECT 'training', NULL, CASE value WHEN 'true' THEN 1 ELSE 0 END, NULL, 'household', 'migrated', updated_at FROM settings WHERE name = 'trainingUse';
   DELETE FROM settings WHERE name = 'trainingUse';
   CREATE TABLE voiceprints (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     person TEXT NOT NULL,
     keyword TEXT NOT NULL,
     templates INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     iv BLOB NOT NULL,
     tag BLOB NOT NULL,
     ciphertext BLOB NOT NULL,
     UNIQUE (person, keyword)
   );
   CREATE TABLE voiceprint_keys (
     voiceprint_id INTEGER PRIMARY KEY REFERENCES voiceprints(id) ON DELETE CASCADE,
     key BLOB NOT NULL CHECK (length(key) = 32)
   );`,
  // 5: diagnostics bundles (agent/diagnostics): prepared for a fault, sent only on the
  // household's confirmation, the local copy gone once sent; the upstream deletion tracked.
  `CREATE TABLE diagnostics (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     fault TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('prepared', 'sent', 'debug-complete', 'deleted', 'discarded')),
     categories TEXT NOT NULL,
     bundle TEXT,
     prepared_at INTEGER NOT NULL,
     sent_at INTEGER,
     debug_complete_at INTEGER,
     deleted_at INTEGER,
     overdue_reported INTEGER NOT NULL DEFAULT 0
   );`,
  // 6: the household page's paired sessions (agent/page): only a hash of each token is kept.
  `CREATE TABLE page_sessions (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     token_hash TEXT NOT NULL UNIQUE,
     label TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     last_seen_at INTEGER NOT NULL,
     revoked_at INTEGER
   );`,
];

/** What to do about a ledger that cannot be opened, in one line. */
export function recoveryHint(path: string): string {
  return `move it aside and start again (the agent then starts muted, with an empty ledger): mv ${path} ${path}.broken`;
}

/** A damaged-file error from SQLite (at open or any later read) as LEDGER_OPEN_FAILED with the way out; others unchanged. */
export function asLedgerError(e: unknown, path: string): unknown {
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB")) {
    return new AgentError("LEDGER_OPEN_FAILED", `${path} is damaged (${toError(e).message}); ${recoveryHint(path)}`, { cause: e });
  }
  return e;
}

export function openAgentDb(path: string): Db {
  let db: Db;
  try {
    if (path !== ":memory:") {
      // The data dir is the agent's own: closed to other users whatever the umask (issue 14.8).
      makeDirs(dirname(path), 0o700);
      chmodSync(dirname(path), 0o700);
    }
    db = new Database(path);
  } catch (e) {
    throw new AgentError("LEDGER_OPEN_FAILED", `cannot open ${path}: ${toError(e).message}`, { cause: e });
  }
  try {
    // A file that is not a database (or is damaged) fails at the first statement: one clear
    // error with what to do, never a stack trace (issue 14.12).
    const tables = (db.prepare("SELECT COUNT(*) AS n FROM sqlite_master").get() as { n: number }).n;
    // A new file gets incremental auto-vacuum, so purges can hand free pages back to the file
    // system; it has to be chosen before the first table exists.
    if (tables === 0) db.pragma("auto_vacuum = INCREMENTAL");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma("secure_delete = ON");
    // A 512 KiB page cache instead of SQLite's 2 MB: the ledger's working set is its indexes and
    // a few rows; audio blobs are written once and read rarely (the agent's memory budget, issue 15).
    db.pragma("cache_size = -512");
    // Another process (spa history while the agent runs) may hold the write lock for a moment.
    db.pragma("busy_timeout = 5000");
    migrate(db);
    if ((db.pragma("auto_vacuum", { simple: true }) as number) !== 2) {
      // A file from before schema 3: switch once (VACUUM rewrites it, outside any transaction).
      db.pragma("auto_vacuum = INCREMENTAL");
      db.exec("VACUUM");
    }
    // The ledger's files are the agent's alone, whatever the umask (issue 14.8); SQLite gives
    // its -wal and -shm files the main file's mode.
    if (path !== ":memory:") for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  } catch (e) {
    db.close();
    if (e instanceof AgentError) throw e;
    const code = (e as { code?: string }).code;
    if (code === "SQLITE_BUSY") throw new AgentError("LEDGER_OPEN_FAILED", `${path} is locked by another process; try again in a moment`, { cause: e });
    throw new AgentError("LEDGER_OPEN_FAILED", `cannot open ${path}: ${toError(e).message}; ${recoveryHint(path)}`, { cause: e });
  }
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new AgentError("LEDGER_OPEN_FAILED", `agent.db is schema version ${current}, newer than this agent (${MIGRATIONS.length}); refusing to downgrade`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    const m = MIGRATIONS[v]!;
    db.transaction(() => {
      db.exec(typeof m === "string" ? m : m.sql);
      if (typeof m !== "string") m.after(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/**
 * After deleting anything personal: move the WAL into the main file and truncate it, then give
 * free pages back to the file system (secure_delete has already zeroed them).
 */
export function checkpoint(db: Db): boolean {
  // A reader in another process (a spa command) can hold the WAL: do not wait seconds for it
  // on the event loop; report "not done" so the caller retries soon.
  const timeout = db.pragma("busy_timeout", { simple: true }) as number;
  db.pragma("busy_timeout = 250");
  try {
    const first = db.pragma("wal_checkpoint(TRUNCATE)") as Array<{ busy: number }>;
    db.pragma("incremental_vacuum");
    const second = db.pragma("wal_checkpoint(TRUNCATE)") as Array<{ busy: number }>;
    return first[0]?.busy === 0 && second[0]?.busy === 0;
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}
