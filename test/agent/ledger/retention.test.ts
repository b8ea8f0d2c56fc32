/**
 * Retention on virtual time with a real SQLite file: captures expire exactly at the limit, by
 * wall clock or by powered-on time, whatever the wall clock does; a shorter policy purges at once.
 */
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { MAX_CLOCK_LEAP_MS, DAY_MS, RETENTION_CAP_DAYS, retentionLimitMs } from "../../../agent/ledger/retention.ts";
import { FakeClock } from "../../fakes/fake-clock.ts";
import { openLedgerAt, storeCapture, type LedgerFixture } from "../../helpers/ledger-fixture.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { join } from "node:path";
import { Database } from "../../../agent/ledger/sqlite.ts";

/** Runs `store` with `other`'s write lock briefly released (the insert itself must succeed), then takes it again. */
function storeCaptureWhenFree(other: Database, store: () => unknown): void {
  other.exec("ROLLBACK");
  store();
  other.exec("BEGIN IMMEDIATE");
}

const R = suite("retention (virtual time, real SQLite)");
let dir: ReturnType<typeof tempDir>;
let clock: FakeClock;
let f: LedgerFixture;
R.before.each(() => {
  dir = tempDir();
  clock = new FakeClock(Date.UTC(2026, 5, 1));
});
R.after.each(() => {
  f.close();
  dir.remove();
});

const L = 180 * DAY_MS;
const kept = (): number => f.ledger.captures.count();

R("180 days is a cap in code: more is never used, whatever is asked", () => {
  f = openLedgerAt(dir.path, clock);
  assert.is(RETENTION_CAP_DAYS, 180);
  assert.is(retentionLimitMs(365), L);
  assert.is(retentionLimitMs(30), 30 * DAY_MS);
});

R("a capture expires exactly at the limit, by the scheduled purge (not at the next hourly tick)", () => {
  f = openLedgerAt(dir.path, clock);
  f.ledger.start();
  clock.advance(17 * 60_000 + 123); // off the hourly grid
  storeCapture(f.ledger);
  clock.advance(L - 1);
  assert.is(kept(), 1, "one millisecond before the limit it is kept");
  clock.advance(1);
  assert.is(kept(), 0, "at the limit it is gone");
  const ev = f.ledger.audit.list().filter((e) => e.type === "purge");
  assert.is(ev.length, 1);
  assert.equal(ev[0]!.data.count, 1);
});

R("a clock set back 10 years does not keep a capture past its limit of powered-on time", () => {
  f = openLedgerAt(dir.path, clock);
  f.ledger.start();
  storeCapture(f.ledger);
  clock.advance(DAY_MS);
  clock.set(clock.now() - 10 * 365 * DAY_MS);
  clock.advance(L - DAY_MS - 1);
  assert.is(kept(), 1);
  clock.advance(1);
  assert.is(kept(), 0);
});

R("after a power cut the clock starts at 1970: powered-on time still counts, across restarts", () => {
  f = openLedgerAt(dir.path, clock);
  f.ledger.start();
  storeCapture(f.ledger);
  clock.advance(100 * DAY_MS);
  // Power cut: the agent stops (its counters persisted), the RTC resets to 1970 and restarts.
  f.ledger.stop();
  clock.set(0);
  f.reopen(clock);
  f.ledger.startup();
  f.ledger.start();
  assert.is(kept(), 1, "100 days old: kept");
  clock.advance(80 * DAY_MS - 1);
  assert.is(kept(), 1);
  clock.advance(1);
  assert.is(kept(), 0, "gone at 180 days of powered-on time although the clock says 1970");
});

R("while powered off, wall time counts: a capture can expire at the next start", () => {
  f = openLedgerAt(dir.path, clock);
  storeCapture(f.ledger);
  f.ledger.stop();
  clock.set(clock.now() + L); // 180 days in a drawer
  f.reopen(clock);
  assert.is(f.ledger.startup().purged, 1);
  assert.is(kept(), 0);
});

R("a clock that jumps back cannot make anything younger: the high-water mark persists", () => {
  f = openLedgerAt(dir.path, clock);
  clock.advance(DAY_MS);
  storeCapture(f.ledger);
  f.ledger.stop();
  clock.set(clock.now() - 30 * DAY_MS);
  f.reopen(clock);
  const [h] = f.ledger.history();
  assert.ok(h!.expiresInMs <= L, `expires in ${h!.expiresInMs / DAY_MS} days`);
});

R("shrinking retention purges at once; growing it does not bring anything back", () => {
  f = openLedgerAt(dir.path, clock, { days: 180 });
  f.ledger.start();
  storeCapture(f.ledger);
  clock.advance(40 * DAY_MS);
  storeCapture(f.ledger);
  clock.advance(DAY_MS);
  f.retention.days = 30;
  const r = f.ledger.retentionChanged();
  assert.is(r?.count, 1, "the 41-day-old capture went at once");
  assert.is(kept(), 1);
  f.retention.days = 180;
  assert.is(f.ledger.retentionChanged(), null);
  clock.advance(29 * DAY_MS - 1);
  assert.is(kept(), 1);
  clock.advance(10 * DAY_MS);
  assert.is(kept(), 1, "back at 180 days the young one stays");
  f.retention.days = 30;
  f.ledger.retentionChanged();
  assert.is(kept(), 0);
});

R("history says when each capture expires", () => {
  f = openLedgerAt(dir.path, clock, { days: 30 });
  storeCapture(f.ledger);
  clock.advance(10 * DAY_MS);
  const [h] = f.ledger.history();
  assert.is(h!.expiresInMs, 20 * DAY_MS);
});

R("one boot with the clock 74 years ahead dates nothing in 2100, prunes no history, and leaves no mark (issue 14.4)", () => {
  f = openLedgerAt(dir.path, clock);
  const start = clock.now();
  storeCapture(f.ledger);
  f.ledger.audit.append(clock.now(), "mute", { cause: "button" });
  const events = f.ledger.audit.list(100).length;
  f.ledger.stop();
  clock.set(start + 74 * 365 * DAY_MS);
  f.reopen(clock);
  assert.is(f.ledger.clock.clockTrusted, false);
  clock.advance(DAY_MS);
  const id = storeCapture(f.ledger);
  const wallOf = (cid: number): number => (f.ledger.db.prepare("SELECT captured_wall AS w FROM captures WHERE id = ?").get(cid) as { w: number }).w;
  assert.ok(wallOf(id) < start + 2 * DAY_MS, `captured ${new Date(wallOf(id)).toISOString()}`);
  f.ledger.purge("schedule");
  assert.is(f.ledger.audit.list(100).length, events, "no audit history pruned by the implausible clock");
  assert.is(kept(), 2, "nothing expired by the implausible clock");
  // The clock is put right: new captures are dated by it, and the old ones still expire on time.
  f.ledger.stop();
  clock.set(start + 3 * DAY_MS);
  f.reopen(clock);
  assert.is(f.ledger.clock.clockTrusted, true);
  const later = storeCapture(f.ledger);
  assert.is(wallOf(later), start + 3 * DAY_MS);
  clock.advance(178 * DAY_MS);
  f.ledger.purge("schedule");
  assert.equal(
    f.ledger.captures.list(10).map((c) => c.id),
    [later],
    "the two older ones expired on time, the young one stays",
  );
});

R.run();

/**
 * Property: random captures, time passing, wall-clock jumps (both ways), power-offs, restarts,
 * deletions and policy changes. An independent model tracks each capture's powered-on age and
 * its age by the highest wall time seen where the ledger reads the clock. After every purge nothing whose age by either measure
 * reached the limit survives, and everything younger survives unless the household deleted it.
 */
type Op =
  | { k: "capture" }
  | { k: "advance"; ms: number }
  | { k: "jump"; ms: number }
  | { k: "poweroff"; ms: number }
  | { k: "restart" }
  | { k: "delete-last" }
  | { k: "policy"; days: number }
  | { k: "purge" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ k: "capture" as const }) },
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 150 * DAY_MS }).map((ms) => ({ k: "advance" as const, ms })) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(fc.integer({ min: -3650 * DAY_MS, max: 200 * DAY_MS }), fc.integer({ min: 401 * DAY_MS, max: 80 * 365 * DAY_MS }))
      .map((ms) => ({ k: "jump" as const, ms })),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 100 * DAY_MS }).map((ms) => ({ k: "poweroff" as const, ms })) },
  { weight: 1, arbitrary: fc.constant({ k: "restart" as const }) },
  { weight: 1, arbitrary: fc.constant({ k: "delete-last" as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 250 }).map((days) => ({ k: "policy" as const, days })) },
  { weight: 2, arbitrary: fc.constant({ k: "purge" as const }) },
);

const P = suite("retention property (fast-check over random histories)");
P("nothing past the limit survives a purge; nothing younger is lost unless deleted", () => {
  let purgesChecked = 0;
  let expiredSeen = 0;
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 5, maxLength: 50, size: "max" }), (ops) => {
      const d = tempDir();
      const c = new FakeClock(Date.UTC(2026, 0, 1));
      const fx = openLedgerAt(d.path, c);
      // The model: per live capture, its id, birth by the effective wall time, and powered-on birth.
      // Effective wall time: the last anchor plus the powered-on time since, or the clock where
      // the clock is ahead of that by no more than MAX_CLOCK_LEAP_MS (retention.ts).
      let high: number = c.now();
      let anchorUp = 0;
      let uptime = 0;
      const model = new Map<number, { wall: number; up: number }>();
      // The ledger knows the wall clock only where it reads it (captures, purges, restarts).
      const observe = (): void => {
        const floor = high + (uptime - anchorUp);
        high = c.now() <= floor + MAX_CLOCK_LEAP_MS ? Math.max(floor, c.now()) : floor;
        anchorUp = uptime;
      };
      const limit = (): number => Math.min(180, fx.retention.days) * DAY_MS;
      const expired = (m: { wall: number; up: number }): boolean => high - m.wall >= limit() || uptime - m.up >= limit();
      const check = (): void => {
        const live = new Set(fx.ledger.captures.list(100_000).map((r) => r.id));
        for (const [id, m] of model) {
          if (expired(m)) {
            expiredSeen++;
            assert.not.ok(live.has(id), `capture ${id} survived past its limit`);
            model.delete(id);
          } else assert.ok(live.has(id), `capture ${id} was lost before its limit`);
        }
        assert.is(live.size, model.size, "no unknown captures");
        purgesChecked++;
      };
      try {
        for (const op of ops) {
          switch (op.k) {
            case "capture":
              observe();
              model.set(storeCapture(fx.ledger), { wall: high, up: uptime });
              break;
            case "advance":
              c.advance(op.ms);
              uptime += op.ms;
              break;
            case "jump":
              c.set(Math.max(0, c.now() + op.ms));
              break;
            case "poweroff":
              observe();
              fx.ledger.stop();
              c.set(c.now() + op.ms);
              observe();
              fx.reopen(c);
              break;
            case "restart":
              observe();
              fx.reopen(c);
              break;
            case "delete-last": {
              const last = Math.max(-1, ...model.keys());
              const r = fx.ledger.delete("last", "cli");
              if (last >= 0 && r.count === 1) model.delete(last);
              break;
            }
            case "policy":
              observe();
              fx.retention.days = op.days;
              // A shorter limit purges at once (then everything expired must be gone).
              if (fx.ledger.retentionChanged()) check();
              break;
            case "purge":
              observe();
              fx.ledger.purge("schedule");
              check();
              break;
          }
        }
        observe();
        fx.ledger.purge("schedule");
        check();
        assert.ok(fx.ledger.audit.verify().ok);
      } finally {
        fx.close();
        d.remove();
      }
    }),
    { numRuns: Number(process.env.SPA_PROPERTY_RUNS ?? 200) },
  );
  // The property must have reached what it guards.
  assert.ok(purgesChecked > 300, `${purgesChecked} purges checked`);
  assert.ok(expiredSeen > 100, `${expiredSeen} expiries seen`);
});
P("retention.maxCaptures: each stored capture past the cap removes the oldest, recorded as a purge; a lower cap applies at start", () => {
  const dir = tempDir("spa-cap-");
  const clock = new FakeClock();
  const f = openLedgerAt(dir.path, clock, { days: 180, maxCaptures: 3 });
  try {
    const ids: number[] = [];
    for (let n = 0; n < 5; n++) {
      ids.push(storeCapture(f.ledger));
      f.ledger.stored();
      clock.advance(1000);
    }
    assert.equal(
      f.ledger
        .history()
        .map((h) => h.id)
        .sort((a, b) => a - b),
      ids.slice(2),
    );
    const purges = f.ledger.audit.list().filter((e) => e.type === "purge");
    assert.is(purges.length, 2);
    assert.equal(
      purges.map((e) => (e.data as { cause: string; maxCaptures: number }).cause),
      ["capture-cap", "capture-cap"],
    );
    assert.is(f.ledger.cappedTotal, 2);
    assert.is(f.ledger.purgedTotal, 0, "the cap is not counted as expiry (the fleet's compliance counter)");
    // A cap purge the database refuses (another writer's lock) does not fail the capture's hand-off.
    const other = new Database(join(dir.path, "agent.db"), { timeoutMs: 0 });
    f.ledger.db.pragma("busy_timeout = 0");
    other.exec("BEGIN IMMEDIATE");
    let sixth = 0;
    try {
      storeCaptureWhenFree(other, () => (sixth = storeCapture(f.ledger, { notify: false })));
      f.ledger.stored();
      assert.is(f.ledger.history().length, 4, "the cap could not be enforced under the lock");
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    f.ledger.stored();
    assert.is(f.ledger.history().length, 3, "enforced at the next capture");
    f.retention.maxCaptures = 1;
    f.reopen();
    assert.is(f.ledger.startup().purged, 2);
    assert.equal(
      f.ledger.history().map((h) => h.id),
      [sixth],
    );
  } finally {
    f.close();
    dir.remove();
  }
});

P.run();
