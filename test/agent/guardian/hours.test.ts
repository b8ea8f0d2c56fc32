/** A guardian's hours: which local times are open (windows past midnight too), and reading them from the command line. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { GuardianSchedule, isOpen, localTimeOf, parseWindow } from "../../../agent/guardian/hours.ts";
import { Millis } from "../../../agent/units.ts";
import { FakeClock } from "../../fakes/fake-clock.ts";
import { GuardianHoursSchema } from "../../../agent/guardian/schema.ts";

const G = suite("guardian hours");
const at = (day: number, hhmm: string) => ({ day, minute: Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)) });

G("open inside a window, closed outside; no windows: no restriction", () => {
  const weekdays = [parseWindow("07:00-20:00@1-5")];
  const table: Array<[number, string, boolean]> = [
    [1, "06:59", false],
    [1, "07:00", true],
    [3, "19:59", true],
    [3, "20:00", false],
    [6, "12:00", false], // Saturday
    [0, "12:00", false], // Sunday
  ];
  for (const [day, t, open] of table) assert.is(isOpen(weekdays, at(day, t)), open, `${day} ${t}`);
  assert.ok(isOpen([], at(0, "03:00")));
});

G("a window past midnight belongs to the day it starts on", () => {
  const fridayNight = [parseWindow("19:00-02:00@5")];
  assert.ok(isOpen(fridayNight, at(5, "23:30")), "Friday night");
  assert.ok(isOpen(fridayNight, at(6, "01:59")), "early Saturday");
  assert.not.ok(isOpen(fridayNight, at(6, "02:00")));
  assert.not.ok(isOpen(fridayNight, at(5, "01:00")), "early Friday belongs to Thursday's night");
  assert.not.ok(isOpen(fridayNight, at(6, "20:00")));
});

G("several windows: open in any of them", () => {
  const w = [parseWindow("07:00-08:00"), parseWindow("18:00-21:00")];
  assert.equal(
    ["06:30", "07:30", "12:00", "18:30", "21:30"].map((t) => isOpen(w, at(2, t))),
    [false, true, false, true, false],
  );
});

G("parseWindow: HH:MM-HH:MM with optional @D or @D-D; mistakes say what is allowed", () => {
  assert.equal(parseWindow("07:00-20:00"), { days: [0, 1, 2, 3, 4, 5, 6], from: "07:00", to: "20:00" });
  assert.equal(parseWindow("07:00-20:00@6"), { days: [6], from: "07:00", to: "20:00" });
  for (const bad of ["7:00-20:00", "07:00-24:00", "07:00-07:00", "07:00-20:00@5-1", "07:00-20:00@7", "soon"])
    assert.throws(() => parseWindow(bad), /HH:MM|differ|days/, bad);
  assert.ok(GuardianHoursSchema.safeParse([parseWindow("07:00-20:00@1-5")]).success, "what the CLI makes, the agent stores");
});

G("localTimeOf reads the device's local time", () => {
  const d = new Date(2026, 11, 4, 21, 15); // a Friday, local
  assert.equal(localTimeOf(d.getTime()), { day: 5, minute: 21 * 60 + 15 });
});

G(
  "the schedule (virtual time): just outside the window closed, open from its first minute, closed again at its end, and a clock set back closes it within the minute",
  () => {
    // Local times: build them with the local-time Date constructor, so the test holds in any zone.
    const local = (h: number, m: number) => new Date(2026, 11, 2, h, m, 30).getTime(); // a Wednesday
    const clock = new FakeClock(local(6, 58));
    const seen: boolean[] = [];
    const s = new GuardianSchedule({
      clock: { now: () => clock.now(), after: (ms, fn) => clock.after(Millis(ms), fn) },
      windows: () => [parseWindow("07:00-20:00")],
      changed: (closed) => void seen.push(closed),
    });
    s.start();
    assert.equal(seen, [true], "06:58: closed");
    clock.advance(60_000);
    assert.equal(seen, [true], "06:59: still closed");
    clock.advance(60_000);
    assert.equal(seen, [true, false], "07:00: open within the minute");
    clock.set(local(20, 0));
    clock.advance(60_000);
    assert.equal(seen, [true, false, true], "the clock moved to 20:00: closed within the minute");
    clock.set(local(12, 0));
    s.check();
    assert.equal(seen, [true, false, true, false], "asked at once (a guardian changed the hours, or the clock was set)");
    s.stop();
    clock.advance(10 * 60_000);
    assert.is(seen.length, 4, "stopped: no more checks");
  },
);

G.run();
