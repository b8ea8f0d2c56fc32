/**
 * Issue 14, finding 1: a mute holds whatever storage does. The real agent on a real (small,
 * full) file system and behind another process's SQLite write lock: the mute is acknowledged,
 * the recorder closes, the mute survives a restart, and the storage failure is reported.
 */
import Database from "better-sqlite3";
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
    let { agent, client } = await boot(tmp.path, dataDir);
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
    client.close();
    await agent.stop();
    // Restart on the still-full disk: the timed mute holds.
    ({ agent, client } = await boot(tmp.path, dataDir));
    const st = stateOf(await client.request({ type: "get-state" }));
    assert.is(st.state, "muted", JSON.stringify(st));
    assert.ok(typeof st.muteUntil === "number" && st.muteUntil > Date.now() + 590 * 60_000, JSON.stringify(st));
    // Space comes back: the mute's audit event, held in memory, reaches the ledger.
    client.close();
    await agent.stop();
    rmSync(filler);
    ({ agent, client } = await boot(tmp.path, dataDir));
    assert.is(stateOf(await client.request({ type: "get-state" })).state, "muted");
    client.close();
    await agent.stop();
  } finally {
    execFileSync("umount", ["-l", mnt]);
    tmp.remove();
  }
});

T("another writer holds the ledger's lock: the mute is not delayed, persisted, and its audit event is not lost", async () => {
  const tmp = tempDir("spa-lock-");
  const dataDir = join(tmp.path, "data");
  try {
    let { agent, client } = await boot(tmp.path, dataDir);
    const other = new Database(join(dataDir, "agent.db"));
    other.exec("BEGIN IMMEDIATE");
    let released = false;
    const started = Date.now();
    const r = await client.request({ type: "mute-for", minutes: 45 });
    const ackMs = Date.now() - started;
    assert.is(stateOf(r).state, "muted");
    // The agent answered while the lock was held (it did not wait out SQLite's busy timeout,
    // which would have blocked the event loop for seconds).
    assert.is(released, false);
    assert.ok(ackMs < 4000, `mute acknowledged after ${ackMs} ms behind a lock`);
    other.exec("COMMIT");
    released = true;
    other.close();
    // The audit event arrives once the lock is gone.
    await until(() => agent.ledger!.audit.list(20).some((e) => e.type === "mute"), 10_000, "mute audit event");
    client.close();
    await agent.stop();
    ({ agent, client } = await boot(tmp.path, dataDir));
    assert.is(stateOf(await client.request({ type: "get-state" })).state, "muted");
    client.close();
    await agent.stop();
  } finally {
    tmp.remove();
  }
});

T("an unreadable mute state boots muted and says so", async () => {
  const tmp = tempDir("spa-badstate-");
  const dataDir = join(tmp.path, "data");
  try {
    let { agent, client } = await boot(tmp.path, dataDir);
    client.close();
    await agent.stop();
    const stateFile = join(dataDir, "gate.state");
    assert.ok(existsSync(stateFile));
    writeFileSync(stateFile, Buffer.alloc(4096, 0x5a));
    let out: string[];
    ({ agent, client, out } = await boot(tmp.path, dataDir));
    assert.is(stateOf(await client.request({ type: "get-state" })).state, "muted");
    assert.ok(out.some((l) => /mute state .*unreadable/i.test(l)), out.join("\n"));
    client.close();
    await agent.stop();
    // Truncated to nothing: the same.
    truncateSync(stateFile, 0);
    ({ agent, client } = await boot(tmp.path, dataDir));
    assert.is(stateOf(await client.request({ type: "get-state" })).state, "muted");
    client.close();
    await agent.stop();
  } finally {
    tmp.remove();
  }
});

T.run();
