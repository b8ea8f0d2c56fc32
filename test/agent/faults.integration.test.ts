/**
 * Issue 14: faults found by an adversarial test and a newcomer run, each reproduced here first.
 * (Findings with a home of their own are tested there: 14.1 in mute-storage.integration, 14.2
 * in capture/mic-collapse.)
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseConfig } from "../../config/load.ts";
import { isAgentError } from "../../agent/errors.ts";
import { openAgentDb } from "../../agent/ledger/agent-db.ts";
import { silentLogger } from "../../agent/log.ts";
import { Agent } from "../../agent/main.ts";
import { BridgeClient } from "../../firmware-bridge/client.ts";
import { startAgent } from "../helpers/agent-in-process.ts";
import { tempDir, until } from "../helpers/tmp.ts";
import { openLedgerAt, storeCapture } from "../helpers/ledger-fixture.ts";
import { FakeClock } from "../fakes/fake-clock.ts";

const SPA = join(process.cwd(), "bin/spa.mjs");

/** A config file for a child `spa` process, all paths inside `dir`. */
function configFile(dir: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, "config.json");
  writeFileSync(
    file,
    JSON.stringify({
      dataDir: join(dir, "data"),
      mode: "near",
      audio: { source: "file", file: join(process.cwd(), "test/fixtures/audio/speech-16k.wav"), pacing: "realtime", loop: true },
      bridge: { socketPath: join(dir, "run", "bridge.sock") },
      simulator: { enabled: false },
      status: { enabled: true, intervalMs: 200 },
      wake: { engine: "none" },
      upload: { kind: "off" },
      ...extra,
    }),
  );
  return file;
}

const F = suite("issue 14 findings");

F("14.16: a second agent that finds one running leaves the running agent's socket alone", async () => {
  const a = await startAgent();
  try {
    const second = new Agent(a.config, { log: silentLogger, out: () => undefined, env: process.env });
    try {
      await second.start();
      assert.unreachable("the second agent must refuse to start");
    } catch (e) {
      assert.ok(isAgentError(e, "BRIDGE_SOCKET"), String(e));
      assert.match((e as Error).message, /already listening/);
    }
    await second.stop();
    assert.ok(existsSync(a.socketPath), "the running agent's socket is still there");
    const c = await BridgeClient.connect(a.socketPath);
    const r = await c.request({ type: "get-state" });
    assert.is(r.type, "ack");
    c.close();
  } finally {
    await a.stop();
  }
});

F("14.15: mute-for must be at least a second (1e-300 minutes is refused, not a 0 ms mute)", async () => {
  const a = await startAgent();
  try {
    const c = await BridgeClient.connect(a.socketPath);
    const r = await c.request({ type: "mute-for", minutes: 1e-300 });
    assert.is(r.type, "nack", JSON.stringify(r));
    assert.match(JSON.stringify(r), /at least 1\/60/);
    assert.is((await c.request({ type: "mute-for", minutes: 1 / 60 })).type, "ack");
    c.close();
  } finally {
    await a.stop();
  }
});

F("14.15: dataDir cannot be a system directory", () => {
  for (const d of ["/etc", "/", "/usr/", "/var/lib"]) {
    try {
      parseConfig({ dataDir: d });
      assert.unreachable(`dataDir ${d} accepted`);
    } catch (e) {
      assert.match((e as Error).message, /dataDir/);
      assert.match((e as Error).message, /system directory/);
    }
  }
  assert.is(parseConfig({ dataDir: "/var/lib/speaker-privacy-agent" }).dataDir, "/var/lib/speaker-privacy-agent");
});

F("14.15: `spa history | head` ends quietly when the reader closes the pipe", () => {
  const d = tempDir();
  try {
    const cfg = configFile(d.path);
    openAgentDb(join(d.path, "data", "agent.db")).close();
    const r = spawnSync("bash", ["-c", `set -o pipefail; node ${JSON.stringify(SPA)} history --config ${JSON.stringify(cfg)} | head -c 0`], {
      encoding: "utf8",
    });
    assert.is(r.stderr, "", r.stderr);
    assert.is(r.status, 0);
  } finally {
    d.remove();
  }
});

F("14.11: closed stdout and stderr: the agent closes the mic and exits non-zero instead of spinning", async () => {
  const d = tempDir();
  try {
    const cfg = configFile(d.path);
    const child = spawn(process.execPath, [SPA, "start", "--config", cfg], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    await until(() => out.includes("bridge: listening"), 60_000, "the agent to start");
    child.stdout.destroy();
    child.stderr.destroy();
    // Something to print: a state change makes a status line.
    const c = await BridgeClient.connect(join(d.path, "run", "bridge.sock"));
    await c.request({ type: "mute" }).catch(() => undefined);
    c.close();
    const guard = new Promise<"spinning">((resolve) => setTimeout(() => resolve("spinning"), 30_000).unref());
    const code = await Promise.race([exited, guard]);
    if (code === "spinning") child.kill("SIGKILL");
    assert.is.not(code, "spinning", "the agent never exited");
    assert.is.not(code, 0);
  } finally {
    d.remove();
  }
});

F("14.13: only the connection that reports the mute switch can change it", async () => {
  const a = await startAgent();
  try {
    const firmware = await BridgeClient.connect(a.socketPath);
    const intruder = await BridgeClient.connect(a.socketPath);
    assert.is((await firmware.request({ type: "hello", model: "X1", capabilities: ["mute-switch"], muteSwitch: "on" })).type, "ack");
    assert.is(a.agent.driver!.snapshot().mutedBy, "switch");
    for (const body of [
      { type: "hello", model: "evil", capabilities: [], muteSwitch: "off" },
      { type: "mute-switch", state: "off" },
    ]) {
      const r = await intruder.request(body);
      assert.is(r.type, "nack", JSON.stringify(r));
      assert.is((r as { code: string }).code, "SWITCH_OWNED");
      assert.is(a.agent.driver!.snapshot().mutedBy, "switch");
    }
    assert.is((await firmware.request({ type: "mute-switch", state: "off" })).type, "ack");
    assert.is(a.agent.driver!.snapshot().muted, false);
    // The owner goes away (a firmware restart): the next connection to report the switch owns it.
    firmware.close();
    await until(async () => (await intruder.request({ type: "mute-switch", state: "on" })).type === "ack", 5000, "ownership to pass on");
    assert.is(a.agent.driver!.snapshot().mutedBy, "switch");
    intruder.close();
  } finally {
    await a.stop();
  }
});

F("14.10: a deletion and its audit event commit together (no deletion without a record)", () => {
  const d = tempDir();
  const clock = new FakeClock();
  const f = openLedgerAt(d.path, clock);
  try {
    for (let i = 0; i < 3; i++) storeCapture(f.ledger);
    // The audit event cannot be written (what a crash between the two used to leave).
    f.ledger.db.exec("CREATE TRIGGER no_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'refused'); END");
    assert.throws(() => f.ledger.delete("all", "cli"));
    assert.is(f.ledger.captures.count(), 3, "nothing deleted without its record");
    const id = storeCapture(f.ledger);
    assert.throws(() => f.ledger.deleteId(id, "cli"));
    assert.is(f.ledger.captures.count(), 4);
    f.ledger.db.exec("DROP TRIGGER no_events");
    assert.is(f.ledger.delete("all", "cli").count, 4);
    const last = f.ledger.audit.list(1)[0]!;
    assert.is(last.type, "deletion");
    assert.is(last.data.count, 4);
    // Expiry does not wait for its record.
    storeCapture(f.ledger);
    f.ledger.db.exec("CREATE TRIGGER no_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'refused'); END");
    clock.advance(181 * 86_400_000);
    f.ledger.purge("schedule");
    assert.is(f.ledger.captures.count(), 0);
  } finally {
    f.close();
    d.remove();
  }
});

F("14.12: a damaged ledger is refused in one line with the way out; an emptied or vanished one boots muted", async () => {
  const d = tempDir();
  try {
    const cfg = configFile(d.path, { status: { enabled: false } });
    const dbPath = join(d.path, "data", "agent.db");
    mkdirSync(join(d.path, "data"), { recursive: true });
    writeFileSync(dbPath, Buffer.alloc(8192, 0x41));
    for (const args of [
      ["start", "--config", cfg],
      ["history", "--config", cfg],
    ]) {
      const r = spawnSync(process.execPath, [SPA, ...args], { encoding: "utf8", timeout: 120_000 });
      assert.is(r.status, 1, `${args[0]}: ${r.stderr}`);
      assert.not.match(r.stderr, /\n\s+at /, "no stack trace");
      assert.match(r.stderr, /agent\.db/);
      assert.match(r.stderr, /mv .*agent\.db .*agent\.db\.broken/);
    }
    rmSync(dbPath);
    // A first start: not muted. Then the ledger is emptied, and then it vanishes: muted each time.
    const boot = async (): Promise<{ agent: Agent; out: string[] }> => {
      const out: string[] = [];
      const agent = new Agent(parseConfig(JSON.parse(readFileSync(cfg, "utf8"))), { log: silentLogger, out: (l) => out.push(l), env: process.env });
      await agent.start();
      return { agent, out };
    };
    let { agent, out } = await boot();
    assert.is(agent.driver!.snapshot().muted, false);
    await agent.stop();
    for (const damage of [() => writeFileSync(dbPath, ""), () => rmSync(dbPath)]) {
      damage();
      for (const f of ["agent.db-wal", "agent.db-shm"]) rmSync(join(d.path, "data", f), { force: true });
      ({ agent, out } = await boot());
      assert.is(agent.driver!.snapshot().muted, true, out.join("\n"));
      assert.ok(
        out.some((l) => /agent\.db is (empty|missing) although this speaker has run before: starting muted/.test(l)),
        out.join("\n"),
      );
      // The household's choices went with the ledger: the strictest until it chooses again.
      assert.equal([agent.consents!.granted("training"), agent.consents!.granted("uploads")], [false, false]);
      await until(
        () => agent.ledger!.audit.list(10).some((e) => e.type === "boot-muted" && e.data.reason === "ledger-missing"),
        5000,
        "the boot-muted privacy event",
      );
      await agent.stop();
    }
  } finally {
    d.remove();
  }
});

F("14.18: ledger commands refuse a missing ledger, naming the path and how the data dir was chosen", () => {
  const d = tempDir();
  try {
    const r = spawnSync(process.execPath, [SPA, "history"], { encoding: "utf8", cwd: d.path, env: { ...process.env, SPA_CONFIG: "" } });
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`no ledger at ${join(d.path, "data", "agent.db").replace(/[/.]/g, "\\$&")}`));
    assert.match(r.stderr, /no config file/);
    assert.not.ok(existsSync(join(d.path, "data")), "nothing created");
    const cfg = configFile(d.path, { dataDir: join(d.path, "elsewhere") });
    const r2 = spawnSync(process.execPath, [SPA, "audit"], { encoding: "utf8", cwd: d.path, env: { ...process.env, SPA_CONFIG: cfg } });
    assert.is(r2.status, 1, r2.stderr);
    assert.match(r2.stderr, /elsewhere\/agent\.db \(dataDir from \$SPA_CONFIG/);
  } finally {
    d.remove();
  }
});

F("14.17: every file error is one line naming the path and the cause, exit 1 (and /proc does not hang)", () => {
  const d = tempDir();
  const clock = new FakeClock(Date.now());
  try {
    const cfg = configFile(d.path);
    const f = openLedgerAt(join(d.path, "data"), clock);
    const id = storeCapture(f.ledger);
    f.close();
    const existing = join(d.path, "a-file");
    writeFileSync(existing, "x");
    const cases: Array<[string[], string]> = [
      [["voice", "anonymize", "test/fixtures/audio/speech-16k.wav", "/no/dir/o.wav"], "/no/dir/o.wav"],
      [["play", String(id), "--out", "/no/dir/x.wav", "--config", cfg], "/no/dir/x.wav"],
      [["export", "--out", existing, "--config", cfg], existing],
      [["export", "--out", "/proc/spa-export", "--config", cfg], "/proc/spa-export"],
    ];
    for (const [args, path] of cases) {
      const r = spawnSync(process.execPath, [SPA, ...args], { encoding: "utf8", timeout: 60_000 });
      assert.is(r.signal, null, `spa ${args.join(" ")} did not finish`);
      assert.is(r.status, 1, `spa ${args.join(" ")}: ${r.stderr}`);
      const lines = r.stderr.trim().split("\n");
      assert.is(lines.length, 1, r.stderr);
      assert.ok(lines[0]!.includes(path), r.stderr);
    }
  } finally {
    d.remove();
  }
});

F("14.8: the data dir is 0700 and the ledger's files 0600, whatever the umask", async () => {
  const old = process.umask(0o002);
  try {
    const a = await startAgent();
    try {
      const data = a.config.dataDir;
      assert.is(statSync(data).mode & 0o777, 0o700);
      for (const f of ["agent.db", "agent.db-wal", "agent.db-shm", "gate.state"])
        if (existsSync(join(data, f))) assert.is(statSync(join(data, f)).mode & 0o777, 0o600, f);
    } finally {
      await a.stop();
    }
  } finally {
    process.umask(old);
  }
});

F("14.14: held connections never starve a new one: at the cap the idlest goes and the mute gets in", async () => {
  const a = await startAgent({ bridge: { maxClients: 8 } });
  const held: Socket[] = [];
  try {
    const firmware = await BridgeClient.connect(a.socketPath);
    assert.is((await firmware.request({ type: "hello", model: "X1", capabilities: ["led"] })).type, "ack");
    for (let i = 0; i < 40; i++) {
      const s = createConnection(a.socketPath);
      s.on("error", () => undefined);
      await new Promise<void>((r) => s.once("connect", () => r()));
      held.push(s);
    }
    const c = await BridgeClient.connect(a.socketPath);
    const r = await c.request({ type: "mute" });
    assert.is(r.type, "ack", JSON.stringify(r));
    assert.is(a.agent.driver!.snapshot().muted, true);
    // The firmware that said hello outlived the anonymous connections.
    assert.is((await firmware.request({ type: "get-state" })).type, "ack");
    c.close();
    firmware.close();
  } finally {
    for (const s of held) s.destroy();
    await a.stop();
  }
});

F.run();
