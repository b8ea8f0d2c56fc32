/** The 180-day rule alone (agent/ledger/retention.ts, pure): tables of cases, no database, no clock. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { advanceWall, DAY_MS, expiresInMs, expiryBounds, MAX_CLOCK_LEAP_MS, retentionLimitMs } from "../../../agent/ledger/retention.ts";

const R = suite("retention rule");
const T0 = Date.UTC(2026, 0, 1);

R("the limit: the policy's days, never above 180, never below 0", () => {
  for (const [days, limit] of [
    [30, 30],
    [180, 180],
    [365, 180],
    [0, 0],
    [-5, 0],
  ] as const)
    assert.is(retentionLimitMs(days), limit * DAY_MS, `${days} days`);
});

R("expiry: whichever clock reaches the limit first", () => {
  const L = 30 * DAY_MS;
  const birth = { wall: T0, uptime: 1000 };
  const cases: Array<[string, { wall: number; uptime: number }, number]> = [
    ["born now", { wall: T0, uptime: 1000 }, L],
    ["10 days on both clocks", { wall: T0 + 10 * DAY_MS, uptime: 1000 + 10 * DAY_MS }, 20 * DAY_MS],
    ["wall clock set back a year: powered-on time still counts", { wall: T0 - 365 * DAY_MS, uptime: 1000 + 10 * DAY_MS }, 20 * DAY_MS],
    ["unplugged 25 days: wall time counts", { wall: T0 + 25 * DAY_MS, uptime: 1000 + DAY_MS }, 5 * DAY_MS],
    ["exactly at the limit", { wall: T0 + L, uptime: 1000 }, 0],
    ["long past", { wall: T0 + 400 * DAY_MS, uptime: 1000 + 400 * DAY_MS }, 0],
  ];
  for (const [what, now, left] of cases) assert.is(expiresInMs(birth, now, L), left, what);
  assert.equal(expiryBounds({ wall: T0 + L, uptime: 5 + L }, L), { wall: T0, uptime: 5 });
});

R("effective wall time: never back, at least powered-on time, the clock only when plausible", () => {
  const a = { highWater: T0, anchorUptime: 0 };
  const cases: Array<[string, number, number, number, boolean]> = [
    // [what, uptime, reading, wall, trusted]
    ["clock follows", 1000, T0 + 1000, T0 + 1000, true],
    ["clock stuck in 1970: powered-on time carries it", 5000, 0, T0 + 5000, true],
    ["clock ahead after a month unplugged: followed", 1000, T0 + 30 * DAY_MS, T0 + 30 * DAY_MS, true],
    ["clock 74 years ahead: not trusted, the floor holds", 1000, T0 + 74 * 365 * DAY_MS, T0 + 1000, false],
    ["just inside the leap bound", 0, T0 + MAX_CLOCK_LEAP_MS, T0 + MAX_CLOCK_LEAP_MS, true],
    ["just beyond it", 0, T0 + MAX_CLOCK_LEAP_MS + 1, T0, false],
  ];
  for (const [what, uptime, reading, wall, trusted] of cases) {
    const r = advanceWall(a, uptime, reading);
    assert.is(r.wall, wall, what);
    assert.is(r.trusted, trusted, what);
    assert.equal(r.anchor, { highWater: wall, anchorUptime: uptime }, what);
  }
});

R.run();
