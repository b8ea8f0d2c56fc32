/**
 * The ledger's layer over node:sqlite (agent/ledger/sqlite.ts), on real database files: what the
 * ledger relies on from it — SQLite's error names, transactions that roll back and nest, pragmas,
 * BLOBs as Buffers, plain row objects — so a change of Node or of this layer cannot quietly change
 * what a full disk, a lock or a failed deletion does.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { Database } from "../../../agent/ledger/sqlite.ts";
import { failureCode } from "../../../agent/ledger/storage-health.ts";
import { tempDir } from "../../helpers/tmp.ts";

const S = suite("sqlite layer");

function open(): { db: Database; file: string; done: () => void } {
  const dir = tempDir("spa-sqlite-");
  const file = join(dir.path, "t.db");
  const db = new Database(file);
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, data BLOB)");
  return {
    db,
    file,
    done: () => {
      db.close();
      dir.remove();
    },
  };
}

S("rows are plain objects and BLOBs come back as Buffers", () => {
  const { db, done } = open();
  try {
    const r = db.prepare("INSERT INTO t (name, data) VALUES (@name, @data)").run({ name: "a", data: Buffer.from([1, 2, 3]), extra: "ignored" });
    assert.is(r.changes, 1);
    assert.is(r.lastInsertRowid, 1);
    const row = db.prepare("SELECT id, name, data FROM t WHERE id = ?").get(1) as { id: number; name: string; data: Buffer };
    assert.equal(row, { id: 1, name: "a", data: Buffer.from([1, 2, 3]) });
    assert.ok(Buffer.isBuffer(row.data));
    assert.is(db.prepare("SELECT * FROM t WHERE id = ?").get(99), undefined);
    assert.equal([...db.prepare("SELECT name FROM t").iterate()], [{ name: "a" }]);
  } finally {
    done();
  }
});

S("errors carry SQLite's names (constraint, busy) and the storage report shows them", () => {
  const { db, file, done } = open();
  const other = new Database(file, { timeoutMs: 0 });
  try {
    db.prepare("INSERT INTO t (name) VALUES (?)").run("x");
    let err: unknown;
    try {
      db.prepare("INSERT INTO t (name) VALUES (?)").run("x");
    } catch (e) {
      err = e;
    }
    assert.is((err as { code?: string }).code, "SQLITE_CONSTRAINT");
    db.exec("BEGIN IMMEDIATE");
    try {
      other.prepare("INSERT INTO t (name) VALUES (?)").run("y");
      assert.unreachable("a second writer must wait or fail");
    } catch (e) {
      assert.is(failureCode(e), "SQLITE_BUSY");
    } finally {
      db.exec("ROLLBACK");
    }
    try {
      new Database(join(file, "no", "such", "dir.db"));
      assert.unreachable("cannot open");
    } catch (e) {
      assert.is((e as { code?: string }).code, "SQLITE_CANTOPEN");
    }
  } finally {
    other.close();
    done();
  }
});

S("a transaction commits, rolls back on a throw, nests with savepoints, and refuses a promise", () => {
  const { db, done } = open();
  const count = (): number => (db.prepare("SELECT COUNT(*) AS n FROM t").get() as { n: number }).n;
  try {
    const add = db.transaction((name: string) => db.prepare("INSERT INTO t (name) VALUES (?)").run(name).lastInsertRowid);
    assert.is(add("a"), 1);
    assert.is(add.immediate("b"), 2);
    assert.throws(() =>
      db.transaction(() => {
        add("c");
        throw new Error("boom");
      })(),
    );
    assert.is(count(), 2, "the outer throw rolled the inner insert back");
    db.transaction(() => {
      add("d");
      try {
        db.transaction(() => {
          add("e");
          throw new Error("inner");
        })();
      } catch {
        // the inner savepoint is rolled back, the outer transaction goes on
      }
    })();
    assert.equal(
      db
        .prepare("SELECT name FROM t ORDER BY id")
        .all()
        .map((r) => (r as { name: string }).name),
      ["a", "b", "d"],
    );
    assert.not.ok(db.inTransaction);
    assert.throws(() => db.transaction(() => Promise.resolve(1))(), /promise/);
    assert.not.ok(db.inTransaction, "a refused transaction is not left open");
  } finally {
    done();
  }
});

S("pragma returns rows, or one value with simple", () => {
  const { db, done } = open();
  try {
    db.pragma("user_version = 7");
    assert.is(db.pragma("user_version", { simple: true }), 7);
    assert.equal(db.pragma("user_version"), [{ user_version: 7 }]);
    assert.is(db.pragma("journal_mode = WAL", { simple: true }), "wal");
    assert.is(db.pragma("busy_timeout", { simple: true }), 5000, "the default wait for another connection's lock");
  } finally {
    done();
  }
});

S("leaving an iteration early releases the read snapshot: later writes by others are seen, and this connection can write", () => {
  const { db, file, done } = open();
  const other = new Database(file, { timeoutMs: 0 });
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 0");
    for (const n of ["a", "b", "c"]) db.prepare("INSERT INTO t (name) VALUES (?)").run(n);
    for (const row of db.prepare("SELECT name FROM t ORDER BY id").iterate()) {
      if ((row as { name: string }).name === "a") break;
    }
    other.prepare("INSERT INTO t (name) VALUES (?)").run("d");
    assert.is((db.prepare("SELECT COUNT(*) AS n FROM t").get() as { n: number }).n, 4, "sees the other connection's write");
    db.prepare("INSERT INTO t (name) VALUES (?)").run("e");
    assert.equal(db.pragma("wal_checkpoint(TRUNCATE)"), [{ busy: 0, log: 0, checkpointed: 0 }]);
  } finally {
    other.close();
    done();
  }
});

S.run();
