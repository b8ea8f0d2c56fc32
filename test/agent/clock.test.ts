/** Clock contract, run against the real SystemClock and the FakeClock the gate tests use. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SystemClock } from "../../agent/adapters/system-clock.ts";
import type { Clock } from "../../agent/ports/clock.ts";
import { Millis } from "../../agent/units.ts";
import { FakeClock } from "../fakes/fake-clock.ts";
import { sleep } from "../helpers/tmp.ts";

function clockContract(name: string, make: () => { clock: Clock; pass: (ms: number) => Promise<void> }): void {
  const C = suite(`clock contract: ${name}`);
  C("a timer fires once, not before its time", async () => {
    const { clock, pass } = make();
    const t0 = clock.now();
    const fired: number[] = [];
    clock.after(Millis(40), () => fired.push(clock.now()));
    await pass(10);
    assert.is(fired.length, 0);
    await pass(80);
    assert.is(fired.length, 1);
    assert.ok(fired[0]! - t0 >= 39, `fired after ${fired[0]! - t0} ms`);
  });
  C("a cancelled timer never fires", async () => {
    const { clock, pass } = make();
    let fired = false;
    clock.after(Millis(20), () => (fired = true)).cancel();
    await pass(60);
    assert.not.ok(fired);
  });
  C("timers fire in deadline order", async () => {
    const { clock, pass } = make();
    const order: string[] = [];
    clock.after(Millis(50), () => order.push("b"));
    clock.after(Millis(20), () => order.push("a"));
    await pass(120);
    assert.equal(order, ["a", "b"]);
  });
  C("monotonic time advances with the time that passes and never goes back", async () => {
    const { clock, pass } = make();
    const m0 = clock.monotonic();
    await pass(30);
    const m1 = clock.monotonic();
    assert.ok(m1 - m0 >= 29, `advanced ${m1 - m0} ms`);
    await pass(0);
    assert.ok(clock.monotonic() >= m1);
  });
  C.run();
}

clockContract("system", () => ({ clock: new SystemClock(), pass: (ms) => sleep(ms) }));
clockContract("fake", () => {
  const clock = new FakeClock();
  return { clock, pass: async (ms) => clock.advance(ms) };
});

const J = suite("fake clock: wall-clock jumps");
J("set() moves the wall clock only: timers and monotonic time keep going as with setTimeout", () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  let fired = 0;
  clock.after(Millis(1000), () => fired++);
  const m0 = clock.monotonic();
  clock.set(0); // RTC reset to 1970
  assert.is(clock.monotonic(), m0);
  clock.advance(999);
  assert.is(fired, 0);
  clock.advance(1);
  assert.is(fired, 1);
  assert.is(clock.now(), 1000);
});
J.run();
