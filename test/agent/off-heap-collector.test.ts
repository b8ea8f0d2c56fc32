/**
 * The off-heap collector: in virtual time, when it asks for a collection; in a real Node with
 * --expose-gc, that dead audio-sized buffers V8 left resident are freed once it does.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startFlags } from "../../scripts/start-flags.ts";
import { demoAgentArgs, envWithoutSpa } from "../helpers/demo-agent.ts";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { OffHeapCollector, v8MajorCollection } from "../../agent/adapters/off-heap-collector.ts";
import { FakeClock } from "../fakes/fake-clock.ts";

const MB = 1024 * 1024;
const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const C = suite("off-heap collector");

function rig(levels: number[], collect: boolean) {
  const clock = new FakeClock();
  let i = 0;
  const asked: number[] = [];
  const c = new OffHeapCollector({
    clock,
    arrayBufferBytes: () => levels[Math.min(i++, levels.length - 1)]!,
    collect: collect ? () => asked.push(clock.monotonic()) : null,
    everyMs: 1000,
    growthBytes: 4 * MB,
  });
  return { clock, c, asked };
}

C("collects at start, then once growth over the lowest level reaches the threshold, then measures afresh", () => {
  // One reading a second after start: 3, dips to 2 MB, climbs to 6 (+4: collect), the collection
  // frees slowly (5, then 2), climbs to 5.9 (+3.9: not yet) and 6.1 (+4.1: collect).
  const { clock, c, asked } = rig([3 * MB, 2 * MB, 4 * MB, 6 * MB, 5 * MB, 2 * MB, 5.9 * MB, 6.1 * MB, 6.1 * MB], true);
  c.start();
  assert.equal(asked, [0], "what start-up left behind");
  clock.advance(4000);
  assert.equal(asked, [0, 4000], "at 6 MB, 4 over the 2 MB low");
  clock.advance(3000);
  assert.equal(asked, [0, 4000], "5.9 MB is 3.9 over the new low of 2");
  clock.advance(1000);
  assert.equal(asked, [0, 4000, 8000]);
  assert.is(c.collections, 3);
  c.stop();
  assert.is(clock.pending, 0, "stopped: no timer left");
  clock.advance(60_000);
  assert.is(c.collections, 3, "none after stop");
});

C("a steady level, however high, is not collected again", () => {
  const { clock, c, asked } = rig([40 * MB], true);
  c.start();
  clock.advance(600_000);
  assert.equal(asked, [0]);
  c.stop();
});

C("without a collector (no --expose-gc) it schedules nothing and says it is unavailable", () => {
  const { clock, c } = rig([1 * MB, 100 * MB], false);
  assert.is(c.available, false);
  c.start();
  assert.is(clock.pending, 0);
  clock.advance(60_000);
  assert.is(c.collections, 0);
});

C("start twice keeps one timer", () => {
  const { clock, c } = rig([1 * MB], true);
  c.start();
  c.start();
  assert.is(clock.pending, 1);
  c.stop();
});

C("v8MajorCollection: a function exactly when Node exposes gc", () => {
  // The test runner has no --expose-gc unless NODE_OPTIONS gives it one.
  const exposed = typeof (globalThis as { gc?: unknown }).gc === "function";
  assert.is(v8MajorCollection() === null, !exposed);
});

C("a reading that throws skips that check; the next ones go on", () => {
  const clock = new FakeClock();
  let n = 0;
  const asked: number[] = [];
  const c = new OffHeapCollector({
    clock,
    arrayBufferBytes: () => {
      n++;
      if (n === 1) throw new Error("EMFILE: too many open files, open '/proc/self/stat'");
      return n === 2 ? 1 * MB : 9 * MB;
    },
    collect: () => asked.push(clock.monotonic()),
    everyMs: 1000,
  });
  c.start();
  clock.advance(3000);
  assert.equal(asked, [0, 3000], "start-up's, then growth seen after the failed reading");
  assert.is(clock.pending, 1, "still checking");
  c.stop();
});

/**
 * A real Node with --expose-gc: the collector runs (10 ms checks) from the start; then 24 MB of
 * audio-sized typed arrays survive young collections (so they are promoted, like a session's
 * frames) and die. V8's memory reducer is off, as it is in effect in the agent, which never goes
 * idle. The child waits until the bytes ArrayBuffers hold fall back near where they started, or
 * CAP_MS, and reports.
 */
const CHILD = `
  const { OffHeapCollector, v8MajorCollection } = await import(${JSON.stringify(new URL("../../agent/adapters/off-heap-collector.ts", import.meta.url).href)});
  const { SystemClock } = await import(${JSON.stringify(new URL("../../agent/adapters/system-clock.ts", import.meta.url).href)});
  const ab = () => process.memoryUsage().arrayBuffers;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  // Short-lived garbage V8 cannot optimise away: young collections, and nothing that grows the old heap.
  const churn = (n) => { let t = 0; for (let k = 0; k < n; k++) t += JSON.parse('{"a":[1,2,3,4,5,6,7,8]}').a.length; return t; };
  const c = new OffHeapCollector({ clock: new SystemClock(), arrayBufferBytes: ab, collect: process.env.NO_COLLECTOR ? null : v8MajorCollection(), everyMs: 10, growthBytes: 4 * 1024 * 1024 });
  c.start();
  await sleep(100); // start-up's collection done, a few checks have seen the low level
  const base = ab();
  const atStart = c.collections;
  let keep = [];
  for (let i = 0; i < 24 * 16; i++) { keep.push(new Int16Array(32 * 1024)); churn(300); }
  churn(100000);
  keep = null;
  churn(100000);
  const dead = ab();
  const t0 = Date.now();
  while (ab() - base >= 4 * 1024 * 1024 && Date.now() - t0 < Number(process.env.CAP_MS)) await sleep(20);
  c.stop();
  process.stdout.write(JSON.stringify({ available: c.available, grown: c.collections - atStart, deadMb: (dead - base) / 1048576, afterMb: (ab() - base) / 1048576 }));
`;

async function runChild(env: Record<string, string>): Promise<{ available: boolean; grown: number; deadMb: number; afterMb: number }> {
  const p = spawn(process.execPath, ["--expose-gc", "--max-semi-space-size=1", "--no-memory-reducer", "--input-type=module", "-e", CHILD], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let out = "";
  let err = "";
  p.stdout.on("data", (d: Buffer) => (out += d));
  p.stderr.on("data", (d: Buffer) => (err += d));
  const code = await new Promise<number | null>((r) => p.on("exit", r));
  assert.is(code, 0, err);
  return JSON.parse(out);
}

C("real Node: dead, promoted audio buffers stay without the collector, and are freed once it sees them grow", async () => {
  // Without it, nothing frees them (3 s here; in the agent, minutes).
  const without = await runChild({ NO_COLLECTOR: "1", CAP_MS: "3000" });
  assert.ok(without.deadMb > 16 && without.afterMb > 16, `still held without the collector: ${JSON.stringify(without)}`);
  // With it: the growth check (not start-up's collection) asks, and they are gone.
  const withIt = await runChild({ CAP_MS: "30000" });
  assert.ok(withIt.available, "--expose-gc gives a collector");
  assert.ok(withIt.deadMb > 16, `the dead buffers were held before it acted (${withIt.deadMb} MB)`);
  assert.ok(withIt.grown >= 1, "the growth check asked");
  assert.ok(withIt.afterMb < 4, `freed (${withIt.afterMb} MB left)`);
});

/** `npm start`'s agent (its flags) has the collector; started without --expose-gc it says so in its log. */
async function startLog(flags: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "spa-offheap-"));
  const child = spawn(process.execPath, [...flags, ...demoAgentArgs(dir, { "wake.engine": "none", "log.level": "debug" })], {
    cwd: ROOT,
    env: envWithoutSpa(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (d: Buffer) => (log += d));
  // Once up, the agent says either way whether it has a collector.
  try {
    await new Promise<void>((ok, fail) => {
      const t = setTimeout(() => fail(new Error(`no word on the collector in 60 s: ${log}`)), 60_000);
      child.stderr.on("data", () => /off-heap collector on|without --expose-gc/.test(log) && (clearTimeout(t), ok()));
      child.on("exit", (code) => (clearTimeout(t), fail(new Error(`agent exited ${code}: ${log}`))));
    });
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.on("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
  return log;
}

C("npm start's flags give the agent its collector; without --expose-gc it logs that it has none", async () => {
  assert.ok(startFlags().includes("--expose-gc"), "npm start passes --expose-gc");
  const withFlags = await startLog(startFlags());
  assert.match(withFlags, /off-heap collector on/);
  assert.not.match(withFlags, /without --expose-gc/);
  assert.match(await startLog([]), /without --expose-gc/);
});

C.run();
