/**
 * Child process for the crash test: drives a real ledger as the agent does — captures stored
 * (encrypted audio, queued uploads), purges of expired captures, deletions, audit events — in a
 * tight loop until it is killed. Usage: node test/helpers/ledger-churn.ts DIR SEED
 */
import { SystemClock } from "../../agent/adapters/system-clock.ts";
import { DAY_MS } from "../../agent/ledger/retention.ts";
import { openLedgerAt } from "./ledger-fixture.ts";

const [dir, seedArg] = process.argv.slice(2);
let s = Number(seedArg ?? 1) >>> 0;
const rnd = (): number => {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  return s / 2 ** 32;
};
const f = openLedgerAt(dir!, new SystemClock());
const l = f.ledger;
l.startup();
process.stdout.write("ready\n");
let n = 0;
for (;;) {
  const batch = 5 + Math.floor(rnd() * 40);
  for (let i = 0; i < batch; i++) {
    // Half are born long ago, so the purge below has real work to do.
    const b = l.clock.birth(rnd() < 0.5 ? 200 * DAY_MS : 0);
    const now = Date.now();
    l.captures.insert(
      {
        trigger: "wake",
        keyword: "天猫精灵",
        startedAt: now,
        endedAt: now + 900,
        durationMs: 900,
        endReason: "silence",
        policyVersion: 0,
        anonymization: "mcadams-b2/1",
        capturedWall: b.wall,
        capturedUptime: b.uptime,
      },
      Int16Array.from({ length: 800 + Math.floor(rnd() * 8000) }, (_, k) => (k * 31) % 2000),
      rnd() < 0.5
        ? { uploadId: `00000000-0000-4000-${String(Number(seedArg ?? 1) % 10000).padStart(4, "0")}-${String(++n).padStart(12, "0")}`, envelope: "{}", at: now }
        : null,
    );
    l.audit.append(now, "session-kept", { trigger: "wake" });
  }
  if (rnd() < 0.3) l.captures.uploads.sent(Number((l.db.prepare("SELECT MAX(id) AS m FROM captures").get() as { m: number }).m), "x", Date.now());
  l.purge("schedule");
  if (rnd() < 0.3) l.delete("last", "cli");
}
