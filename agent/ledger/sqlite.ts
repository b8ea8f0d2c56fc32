/**
 * The ledger's SQLite, on Node's built-in `node:sqlite` (no native addon to compile for each
 * Node, nothing downloaded at install). A thin layer gives it what the ledger relies on:
 * - errors carry SQLite's own code names (`SQLITE_BUSY`, `SQLITE_FULL`, `SQLITE_CORRUPT`…),
 *   which the ledger, the storage report and the recovery hints read;
 * - `transaction(fn)` runs fn in BEGIN (or BEGIN IMMEDIATE) … COMMIT, rolled back on a throw,
 *   with savepoints when transactions nest;
 * - `pragma(text, { simple })`;
 * - rows are plain objects and BLOBs are Buffers (as the code that reads keys and audio expects).
 * Statements are prepared once per SQL text and reused.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";

/** Primary result codes by number (https://sqlite.org/rescode.html). */
const RESULT_NAMES: Record<number, string> = {
  1: "ERROR",
  2: "INTERNAL",
  3: "PERM",
  4: "ABORT",
  5: "BUSY",
  6: "LOCKED",
  7: "NOMEM",
  8: "READONLY",
  9: "INTERRUPT",
  10: "IOERR",
  11: "CORRUPT",
  12: "NOTFOUND",
  13: "FULL",
  14: "CANTOPEN",
  15: "PROTOCOL",
  16: "EMPTY",
  17: "SCHEMA",
  18: "TOOBIG",
  19: "CONSTRAINT",
  20: "MISMATCH",
  21: "MISUSE",
  22: "NOLFS",
  23: "AUTH",
  24: "FORMAT",
  25: "RANGE",
  26: "NOTADB",
  27: "NOTICE",
  28: "WARNING",
};

/** An error from node:sqlite with `code` set to SQLite's name for it; other errors unchanged. */
export function withSqliteCode(e: unknown): unknown {
  const err = e as Error & { code?: unknown; errcode?: unknown };
  if (err && err.code === "ERR_SQLITE_ERROR" && typeof err.errcode === "number") {
    const name = RESULT_NAMES[err.errcode & 0xff];
    if (name) err.code = `SQLITE_${name}`;
  }
  return e;
}

function plain(row: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row as object)) {
    out[k] = v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
  }
  return out;
}

type Params = SQLInputValue[] | [Record<string, SQLInputValue>];

/** A prepared statement: run, get, all, iterate, as the ledger uses them. */
export class Statement {
  readonly #s: StatementSync;
  constructor(s: StatementSync) {
    this.#s = s;
  }
  run(...params: Params): { changes: number; lastInsertRowid: number } {
    try {
      const r = (this.#s.run as (...a: unknown[]) => { changes: number | bigint; lastInsertRowid: number | bigint })(...params);
      return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
    } catch (e) {
      throw withSqliteCode(e);
    }
  }
  get(...params: Params): unknown {
    try {
      const row = (this.#s.get as (...a: unknown[]) => unknown)(...params);
      return row === undefined ? undefined : plain(row);
    } catch (e) {
      throw withSqliteCode(e);
    }
  }
  all(...params: Params): unknown[] {
    try {
      return (this.#s.all as (...a: unknown[]) => unknown[])(...params).map(plain);
    } catch (e) {
      throw withSqliteCode(e);
    }
  }
  *iterate(...params: Params): IterableIterator<unknown> {
    let it: Iterator<unknown>;
    try {
      it = (this.#s.iterate as (...a: unknown[]) => Iterator<unknown>)(...params);
    } catch (e) {
      throw withSqliteCode(e);
    }
    // A caller that stops early (break, return, a throw) must reset the statement: a statement left
    // mid-step holds the connection's read snapshot, so it sees no later writes and its next write
    // fails as busy.
    try {
      for (;;) {
        let r: IteratorResult<unknown>;
        try {
          r = it.next();
        } catch (e) {
          throw withSqliteCode(e);
        }
        if (r.done) return;
        yield plain(r.value);
      }
    } finally {
      it.return?.();
    }
  }
}

export interface Transaction<A extends unknown[], R> {
  (...args: A): R;
  /** The same, taking the write lock at BEGIN (no upgrade deadlock between two writers). */
  immediate(...args: A): R;
}

export interface OpenOptions {
  /** How long a statement waits for another connection's lock, ms (SQLite's busy timeout). */
  timeoutMs?: number;
  readOnly?: boolean;
}

export class Database {
  /** The path it was opened with (":memory:" for an in-memory database). */
  readonly name: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, Statement>();
  #depth = 0;

  constructor(path: string, options: OpenOptions = {}) {
    this.name = path;
    try {
      this.#db = new DatabaseSync(path, { timeout: options.timeoutMs ?? 5000, readOnly: options.readOnly ?? false });
    } catch (e) {
      throw withSqliteCode(e);
    }
  }

  get open(): boolean {
    return this.#db.isOpen;
  }

  get inTransaction(): boolean {
    return this.#db.isTransaction;
  }

  prepare(sql: string): Statement {
    let s = this.#statements.get(sql);
    if (!s) {
      try {
        const raw = this.#db.prepare(sql);
        // Objects may carry more fields than a statement names (row objects passed back in).
        raw.setAllowUnknownNamedParameters(true);
        s = new Statement(raw);
      } catch (e) {
        throw withSqliteCode(e);
      }
      this.#statements.set(sql, s);
    }
    return s;
  }

  exec(sql: string): this {
    try {
      this.#db.exec(sql);
    } catch (e) {
      throw withSqliteCode(e);
    }
    return this;
  }

  /** `PRAGMA text`: every row, or with `simple` the first column of the first row. */
  pragma(text: string, options: { simple?: boolean } = {}): unknown {
    let rows: Record<string, unknown>[];
    try {
      rows = this.#db.prepare(`PRAGMA ${text}`).all().map(plain);
    } catch (e) {
      throw withSqliteCode(e);
    }
    if (!options.simple) return rows;
    const first = rows[0];
    return first === undefined ? undefined : Object.values(first)[0];
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): Transaction<A, R> {
    const run = (begin: string, args: A): R => {
      const nested = this.#depth > 0;
      const savepoint = `spa_tx_${this.#depth}`;
      this.exec(nested ? `SAVEPOINT ${savepoint}` : begin);
      this.#depth++;
      let result: R;
      try {
        result = fn(...args);
        if (result instanceof Promise) throw new TypeError("a transaction function must not return a promise");
      } catch (e) {
        this.#depth--;
        if (this.#db.isTransaction) {
          try {
            this.exec(nested ? `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}` : "ROLLBACK");
          } catch {
            // SQLite may already have rolled back (a full disk): the first error is the one to report.
          }
        }
        throw e;
      }
      this.#depth--;
      try {
        this.exec(nested ? `RELEASE ${savepoint}` : "COMMIT");
      } catch (e) {
        if (!nested && this.#db.isTransaction) {
          try {
            this.exec("ROLLBACK");
          } catch {
            // as above
          }
        }
        throw e;
      }
      return result;
    };
    const tx = ((...args: A) => run("BEGIN", args)) as Transaction<A, R>;
    tx.immediate = (...args: A) => run("BEGIN IMMEDIATE", args);
    return tx;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
    this.#statements.clear();
  }
}
