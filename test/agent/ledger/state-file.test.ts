/**
 * The mute state file (agent/ledger/state-file.ts): fixed size, written in place, two slots so
 * a torn write leaves the previous state, anything unverifiable reads as "unreadable".
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { STATE_FILE_BYTES, StateFile } from "../../../agent/ledger/state-file.ts";
import { openAgentDb, type Db } from "../../../agent/ledger/agent-db.ts";
import { DurableGateStore } from "../../../agent/ledger/gate-store.ts";
import { StorageHealth } from "../../../agent/ledger/storage-health.ts";
import { formatStatus } from "../../../agent/status.ts";
import { silentLogger } from "../../../agent/log.ts";
import { FakeClock } from "../../fakes/fake-clock.ts";
import { tempDir } from "../../helpers/tmp.ts";

const S = suite("mute state file");

S("missing, then created at full size; saves overwrite in place and read back the newest", () => {
  const d = tempDir();
  try {
    const f = new StateFile(join(d.path, "gate.state"));
    assert.equal(f.read(), { kind: "missing" });
    f.open({ n: 0 });
    assert.is(statSync(f.path).size, STATE_FILE_BYTES);
    assert.is(statSync(f.path).mode & 0o777, 0o600);
    for (let n = 1; n <= 5; n++) f.save({ n });
    assert.is(statSync(f.path).size, STATE_FILE_BYTES);
    f.close();
    const r = new StateFile(f.path).read();
    assert.is(r.kind, "ok");
    assert.equal((r as { json: unknown }).json, { n: 5 });
  } finally {
    d.remove();
  }
});

S("a torn newest slot falls back to the one before; both torn is unreadable; empty is unreadable", () => {
  const d = tempDir();
  try {
    const f = new StateFile(join(d.path, "gate.state"));
    f.read();
    f.open({ n: 0 });
    f.save({ n: 1 });
    f.save({ n: 2 });
    f.close();
    const bytes = readFileSync(f.path);
    // Which slot holds n=2: the one read back; tear it.
    const a = Buffer.from(bytes);
    const slot2 = a.indexOf(Buffer.from('{"n":2}'));
    a.writeUInt8(a.readUInt8(slot2 + 3) ^ 0xff, slot2 + 3);
    writeFileSync(f.path, a);
    assert.equal((new StateFile(f.path).read() as { json: unknown }).json, { n: 1 });
    const b = Buffer.from(a);
    const slot1 = b.indexOf(Buffer.from('{"n":1}'));
    b.writeUInt8(b.readUInt8(slot1 + 3) ^ 0xff, slot1 + 3);
    writeFileSync(f.path, b);
    assert.is(new StateFile(f.path).read().kind, "unreadable");
    writeFileSync(f.path, "");
    assert.is(new StateFile(f.path).read().kind, "unreadable");
    writeFileSync(f.path, Buffer.alloc(STATE_FILE_BYTES));
    assert.is(new StateFile(f.path).read().kind, "unreadable");
  } finally {
    d.remove();
  }
});

/** A gate store over a real ledger file and state file in a temp dir, removed afterwards. */
function withStore(fn: (x: { dir: string; db: Db; clock: FakeClock; health: StorageHealth; store: () => DurableGateStore }) => void): void {
  const d = tempDir();
  const db = openAgentDb(join(d.path, "agent.db"));
  const clock = new FakeClock(1_700_000_000_000);
  const health = new StorageHealth();
  try {
    fn({
      dir: d.path,
      db,
      clock,
      health,
      store: () => new DurableGateStore(db, new StateFile(join(d.path, "gate.state")), { clock, log: silentLogger, health }),
    });
  } finally {
    db.close();
    d.remove();
  }
}

S("the gate store: unreadable content boots muted indefinitely; an old ledger's row is taken over once", () => {
  withStore(({ dir, db, store }) => {
    assert.equal(store().load(), { state: null });
    db.prepare("INSERT INTO gate_state (id, json, updated_at) VALUES (1, ?, 0)").run(
      JSON.stringify({ mode: "far", hwSwitch: true, fleetMute: false, userMute: null }),
    );
    assert.equal(store().load().state, { mode: "far", hwSwitch: true, fleetMute: false, userMute: null });
    const s = store();
    s.open({ mode: "near", hwSwitch: false, fleetMute: false, userMute: { until: 5 as never } });
    s.close();
    assert.equal(store().load().state, { mode: "near", hwSwitch: false, fleetMute: false, userMute: { until: 5 } });
    writeFileSync(join(dir, "gate.state"), Buffer.alloc(STATE_FILE_BYTES, 7));
    const bad = store().load();
    assert.equal(bad.state?.userMute, {});
    assert.match(bad.problem ?? "", /unreadable/);
  });
});

S("audit events wait in memory while the ledger refuses them, in order, and the status line says so", () => {
  withStore(({ db, clock, health, store }) => {
    const s = store();
    s.open({ mode: "near", hwSwitch: false, fleetMute: false, userMute: null });
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END");
    s.audit(clock.now(), { type: "mute", cause: "button" });
    s.audit(clock.now(), { type: "unmute", cause: "button" });
    clock.advance(0);
    assert.is(health.failing, true);
    assert.is(health.report().pendingAudit, 2);
    const line = formatStatus(
      { state: "muted", muted: true, mutedBy: "button", mode: "near", micOpen: false, led: "muted" } as never,
      { framesIn: 0, framesAccepted: 0, speechFrames: 0, sessionsKept: 0, sessionsDiscarded: 0, falseWakes: 0 } as never,
      { kept: 0, clients: 0, micPid: undefined, storage: health.report() },
      new Date(),
    );
    assert.match(line, /STORAGE FAILING \(audit: .*2 privacy events held in memory\)/);
    db.exec("DROP TRIGGER refuse");
    clock.advance(5000);
    assert.is(health.failing, false);
    assert.equal(
      s.events(10).map((e) => e.type),
      ["mute", "unmute"],
    );
    s.close();
  });
});

S.run();
