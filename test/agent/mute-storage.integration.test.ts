/**
 * Issue 14, finding 1: a mute holds whatever storage does. The real agent on a real (small,
 * full) file system and behind another process's SQLite write lock: the mute is acknowledged,
 * the recorder closes, the mute survives a restart, and the storage failure is reported.
 */
import { Database } from "../../agent/ledger/sqlite.ts";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync, writeSync, writeFileSync, rmSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseConfig } from "../../config/load.ts";
import { silentLogger } from "../../agent/log.ts";
import { Agent } from "../../agent/main.ts";
import { BridgeClient } from "../../firmware-bridge/client.ts";
import { tempDir, until } from "../helpers/tmp.ts";

type Reply = Awaited<ReturnType<BridgeClient["request"]>>;
const dataOf = (r: Reply): Record<string, unknown> => {
  assert.is(r.type, "ack", JSON.stringify(r));
  return (r as { data?: Record<string, unknown> }).data ?? {};
};
const stateOf = (r: Reply): Record<string, unknown> => dataOf(r).state as Record<string, unknown>;

function configIn(dir: string, dataDir: string) {
  return parseConfig({
    dataDir,
    mode: "near",
    audio: { source: "file", file: "test/fixtures/audio/speech-16k.wav", pacing: "realtime", loop: true },
    bridge: { socketPath: join(dir, "run", "bridge.sock") },
    status: { enabled: false },
    simulator: { enabled: false },
    wake: { engine: "none" },
    upload: { kind: "off" },
  });
}

async function boot(dir: string, dataDir: string): Promise<{ agent: Agent; client: BridgeClient; out: string[] }> {
  const out: string[] = [];
  const config = configIn(dir, dataDir);
  const agent = new Agent(config, { log: silentLogger, out: (l) => out.push(l), env: process.env });
  await agent.start();
  const client = await BridgeClient.connect(config.bridge.socketPath);
  return { agent, client, out };
}

type Running = Awaited<ReturnType<typeof boot>>;

/** Stops the agent and starts it again on the same data; returns the new one and its gate state. */
async function restart(cur: Running, dir: string, dataDir: string): Promise<Running & { state: Record<string, unknown> }> {
  cur.client.close();
  await cur.agent.stop();
  const next = await boot(dir, dataDir);
  return { ...next, state: stateOf(await next.client.request({ type: "get-state" })) };
}

async function shutdown(cur: Running): Promise<void> {
  cur.client.close();
  await cur.agent.stop();
}

/** Fills the file system holding `dir` until it refuses another byte. */
function fill(dir: string): string {
  const path = join(dir, "filler");
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  }
  // The last partial block too.
  const one = Buffer.alloc(512, 1);
  try {
    for (;;) writeSync(fd, one);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    closeSync(fd);
  }
  return path;
}

const T = suite("a mute does not depend on storage (issue 14.1)");
const root = process.getuid?.() === 0;

T("full disk: mute-for is acknowledged, closes the recorder, survives a restart, and the failure is reported", async () => {
  if (!root) {
    console.log("  (needs root for a small tmpfs mount: not run)");
    return;
  }
  const tmp = tempDir("spa-full-");
  const mnt = join(tmp.path, "mnt");
  mkdirSync(mnt);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt]);
  try {
    const dataDir = join(mnt, "data");
    let run: Running = await boot(tmp.path, dataDir);
    const { agent, client } = run;
    // A first start on free space; then the disk fills up.
    assert.is(stateOf(await client.request({ type: "get-state" })).state, "standby");
    // The talk button is held: the microphone is open when the disk fills up.
    dataOf(await client.request({ type: "button", button: "talk", action: "down" }));
    assert.is(agent.driver!.snapshot().micOpen, true);
    const filler = fill(mnt);
    const r = await client.request({ type: "mute-for", minutes: 600 });
    assert.is(stateOf(r).state, "muted");
    assert.is(agent.driver!.snapshot().state, "muted");
    await agent.driver!.settled();
    assert.is(agent.driver!.snapshot().micOpen, false);
    // The storage failure is visible to firmware and to the status line.
    await until(() => agent.storage.failing, 5000, "storage failure reported");
    const s = dataOf(await client.request({ type: "get-state" }));
    assert.is((s.storage as { ok: boolean }).ok, false);
    // Restart on the still-full disk: the timed mute holds.
    const again = await restart(run, tmp.path, dataDir);
    assert.is(again.state.state, "muted", JSON.stringify(again.state));
    assert.ok(typeof again.state.muteUntil === "number" && again.state.muteUntil > Date.now() + 590 * 60_000, JSON.stringify(again.state));
    // Space comes back: still muted.
    rmSync(filler);
    run = await restart(again, tmp.path, dataDir);
    assert.is((run as Running & { state: Record<string, unknown> }).state.state, "muted");
    await shutdown(run);
  } finally {
    execFileSync("umount", ["-l", mnt]);
    tmp.remove();
  }
});

T("another writer holds the ledger's lock: the mute is not delayed, persisted, and its audit event is not lost", async () => {
  const tmp = tempDir("spa-lock-");
  const dataDir = join(tmp.path, "data");
  try {
    const run = await boot(tmp.path, dataDir);
    const { agent, client } = run;
    const other = new Database(join(dataDir, "agent.db"));
    other.exec("BEGIN IMMEDIATE");
    // Same process: had the agent waited out SQLite's busy timeout, it would have blocked this
    // test's event loop too, and the reply would not come while the lock is held.
    const r = await client.request({ type: "mute-for", minutes: 45 });
    assert.is(stateOf(r).state, "muted");
    other.exec("COMMIT");
    other.close();
    // The audit event arrives once the lock is gone.
    await until(() => agent.ledger!.audit.list(20).some((e) => e.type === "mute"), 10_000, "mute audit event");
    const again = await restart(run, tmp.path, dataDir);
    assert.is(again.state.state, "muted");
    await shutdown(again);
  } finally {
    tmp.remove();
  }
});

T("an unreadable mute state boots muted and says so", async () => {
  const tmp = tempDir("spa-badstate-");
  const dataDir = join(tmp.path, "data");
  try {
    await shutdown(await boot(tmp.path, dataDir));
    const stateFile = join(dataDir, "gate.state");
    assert.ok(existsSync(stateFile));
    // Garbage, then nothing at all: muted each time, and it says why.
    for (const damage of [() => writeFileSync(stateFile, Buffer.alloc(4096, 0x5a)), () => truncateSync(stateFile, 0)]) {
      damage();
      const run = await boot(tmp.path, dataDir);
      assert.is(stateOf(await run.client.request({ type: "get-state" })).state, "muted");
      assert.ok(
        run.out.some((l) => /mute state .*unreadable/i.test(l)),
        run.out.join("\n"),
      );
      await shutdown(run);
    }
  } finally {
    tmp.remove();
  }
});

T.run();
