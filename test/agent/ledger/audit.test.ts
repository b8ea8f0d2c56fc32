/** The audit chain: appends verify; any rewrite, deletion or reordering is found and located. */
import { Database } from "../../../agent/ledger/sqlite.ts";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { MIGRATIONS, openAgentDb, type Db } from "../../../agent/ledger/agent-db.ts";
import { AuditLog, canonicalJson } from "../../../agent/ledger/audit.ts";
import { tempDir } from "../../helpers/tmp.ts";

const A = suite("audit chain");
let dir: ReturnType<typeof tempDir>;
let db: Db;
let log: AuditLog;
A.before.each(() => {
  dir = tempDir();
  db = openAgentDb(join(dir.path, "agent.db"));
  log = new AuditLog(db);
  for (let i = 0; i < 10; i++) log.append(1000 + i, i % 2 ? "mute" : "unmute", { cause: "button", n: i });
});
A.after.each(() => {
  db.close();
  dir.remove();
});

A("an untouched chain verifies; canonical JSON ignores key order", () => {
  assert.equal(log.verify(), { ok: true, checked: 10, anchorSeq: 0, head: "matches" });
  assert.is(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
});

A("a changed event is found where it was changed", () => {
  db.prepare("UPDATE events SET json = ? WHERE id = 4").run(JSON.stringify({ cause: "fleet", n: 3 }));
  const v = log.verify();
  assert.is(v.ok, false);
  assert.is(!v.ok && v.brokenAt, 4);
  assert.match(!v.ok ? v.reason : "", /changed/);
});

A("a changed time or type is found too", () => {
  db.prepare("UPDATE events SET at = at + 1 WHERE id = 7").run();
  assert.is((log.verify() as { brokenAt: number }).brokenAt, 7);
});

A("a deleted event is found (even with hashes recomputed after it, the link breaks)", () => {
  db.prepare("DELETE FROM events WHERE id = 5").run();
  const v = log.verify();
  assert.is(!v.ok && v.brokenAt, 5);
  assert.match(!v.ok ? v.reason : "", /missing/);
});

A("a rewritten tail with fresh hashes does not verify against the anchor's genesis", () => {
  // An attacker rewrites every event and recomputes hashes from a genesis of their own.
  db.prepare("UPDATE audit_anchor SET hash = ? WHERE id = 1").run("0".repeat(64));
  assert.is((log.verify() as { brokenAt: number }).brokenAt, 1);
});

A("pruning keeps an anchor: the rest still verifies, and new events chain on", () => {
  assert.is(log.prune(1005), 5);
  assert.equal(log.verify(), { ok: true, checked: 5, anchorSeq: 5, head: "matches" });
  log.append(2000, "mode", { mode: "near" });
  assert.equal(log.verify(), { ok: true, checked: 6, anchorSeq: 5, head: "matches" });
  assert.equal(log.list(1)[0]!.seq, 11);
});

A("an event stamped by a clock reset to 1970 cannot make pruning take newer events with it", () => {
  log.append(0, "mute", { cause: "button" }); // seq 11, clock at 1970
  log.append(1020, "unmute", { cause: "button" }); // seq 12
  assert.is(log.prune(1005), 5, "only the prefix before the first event at or after the cutoff");
  assert.equal(
    log.list(100).map((e) => e.seq),
    [6, 7, 8, 9, 10, 11, 12],
  );
  assert.ok(log.verify().ok);
});

A("restart (wipe) begins a new chain from a new genesis", () => {
  const before = (db.prepare("SELECT hash FROM audit_anchor").get() as { hash: string }).hash;
  log.restart();
  log.append(3000, "wipe", { count: 0 });
  assert.equal(log.verify(), { ok: true, checked: 1, anchorSeq: 0, head: "matches" });
  assert.is.not((db.prepare("SELECT hash FROM audit_anchor").get() as { hash: string }).hash, before);
  assert.is(log.list()[0]!.seq, 1);
});

A.run();

const Mg = suite("ledger migrations");
Mg("from an empty file, and from every earlier schema version, to the current one", () => {
  for (let from = 0; from < MIGRATIONS.length; from++) {
    const d = tempDir();
    const file = join(d.path, "agent.db");
    const old = new Database(file);
    for (let v = 0; v < from; v++) {
      const m = MIGRATIONS[v]!;
      old.exec(typeof m === "string" ? m : m.sql);
      if (typeof m !== "string") m.after(old);
    }
    old.pragma(`user_version = ${from}`);
    // Before schema 3 events had no hash chain; from 3 on they are appended through it.
    if (from >= 3) new AuditLog(old).append(5, "mute", { cause: "button" });
    else if (from >= 1) old.prepare("INSERT INTO events (at, type, json) VALUES (5, 'mute', '{\"cause\":\"button\"}')").run();
    if (from === 1)
      old.prepare("INSERT INTO sessions (trigger, keyword, started_at, ended_at, frames, end_reason) VALUES ('talk', NULL, 10, 20, 3, 'talk-up')").run();
    old.close();
    const db2 = openAgentDb(file);
    assert.is(db2.pragma("user_version", { simple: true }), MIGRATIONS.length, `from ${from}`);
    assert.is(db2.pragma("auto_vacuum", { simple: true }), 2, "incremental auto-vacuum");
    assert.is(db2.pragma("integrity_check", { simple: true }), "ok");
    const audit = new AuditLog(db2);
    // What the Ledger does on opening a ledger from before chain heads.
    audit.adoptHead();
    assert.ok(audit.verify().ok, `chain after migrating from ${from}`);
    if (from >= 1) assert.is(audit.count(), 1);
    if (from === 1) assert.is((db2.prepare("SELECT COUNT(*) AS n FROM captures").get() as { n: number }).n, 1);
    db2.close();
    d.remove();
  }
});
Mg.run();
