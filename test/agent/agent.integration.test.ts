/**
 * The agent as a real process (`spa start`) with the real arecord reading a paced FIFO through
 * an ALSA file plugin, driven over the real bridge socket by the firmware simulator.
 */
import { stateData } from "../../firmware-bridge/protocol/messages.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { pidAlive } from "../../agent/audio/mic-source.ts";
import { FakeFirmware } from "../../firmware-bridge/sim/fake-firmware.ts";
import { createFakeMic, type FakeMic } from "../helpers/fake-mic.ts";
import { tempDir, until } from "../helpers/tmp.ts";

interface RunningAgent {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

const A = suite("agent process (real arecord, real socket)");
let dir: { path: string; remove: () => void };
let mic: FakeMic;
let configPath: string;
let socketPath: string;
const running: RunningAgent[] = [];

function startAgent(env: NodeJS.ProcessEnv = mic.env): RunningAgent {
  const proc = spawn(process.execPath, ["bin/spa.mjs", "start", "--config", configPath], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (err += d));
  const exit = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const a = { proc, out: () => out, err: () => err, exit };
  running.push(a);
  return a;
}

async function stopAgent(a: RunningAgent): Promise<number | null> {
  a.proc.kill("SIGTERM");
  return a.exit;
}

async function connect(): Promise<FakeFirmware> {
  await until(() => existsSync(socketPath), 20_000, "the bridge socket");
  // The socket file appears at bind(), a moment before listen(): on a loaded machine a first
  // connect can land in between and be refused. Retry until the agent listens.
  let fw: FakeFirmware | null = null;
  await until(
    async () => {
      fw = await FakeFirmware.start({ socketPath, ackDelayMs: 5 }).catch(() => null);
      return fw !== null;
    },
    20_000,
    "the agent to accept connections",
  );
  return fw!;
}

/** Waits until the agent reports a running recorder and returns its pid. */
async function recorderPid(fw: FakeFirmware): Promise<number> {
  let pid: number | null = null;
  await until(
    async () => {
      const r = await fw.request({ type: "get-state" });
      pid = r.type === "ack" ? (stateData(r.data)?.micPid ?? null) : null;
      return pid !== null;
    },
    10_000,
    "the recorder to start",
  );
  return pid!;
}

/** Child processes of a pid (from /proc), to see whether an arecord is running under the agent. */
function childrenOf(pid: number): string[] {
  const out: string[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === pid) out.push(stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")));
    } catch {
      /* process ended meanwhile */
    }
  }
  return out;
}

A.before.each(() => {
  dir = tempDir("spa-agent-proc-");
  mic = createFakeMic();
  mic.feed(Int16Array.from({ length: 16000 }, (_, i) => Math.round(4000 * Math.sin(i / 7))));
  socketPath = join(dir.path, "run", "bridge.sock");
  configPath = join(dir.path, "config.json");
  mkdirSync(join(dir.path, "run"));
  writeFileSync(
    configPath,
    JSON.stringify({
      mode: "near",
      dataDir: join(dir.path, "data"),
      audio: { source: "mic", recorder: "arecord", device: mic.device, closeTimeoutMs: 200 },
      bridge: { socketPath },
      status: { enabled: true },
    }),
  );
});

A.after.each(async () => {
  for (const a of running.splice(0)) if (a.proc.exitCode === null && a.proc.signalCode === null) await stopAgent(a);
  mic.stop();
  dir.remove();
});

A("mute ends the recorder; after a restart the agent is still muted and no recorder runs", async () => {
  const agent = startAgent();
  const fw = await connect();
  await fw.talk("down");
  const pid = await recorderPid(fw);
  assert.ok(pidAlive(pid), "arecord runs while capturing");
  assert.ok(childrenOf(agent.proc.pid!).includes("arecord"));
  const mute = await fw.mute();
  assert.is(mute.type, "ack");
  await until(() => !pidAlive(pid), 2000, "the recorder to exit after mute");
  assert.not.ok(childrenOf(agent.proc.pid!).includes("arecord"));
  fw.stop();
  assert.is(await stopAgent(agent), 0, "a clean exit on SIGTERM");
  assert.match(agent.out(), /stopped/);

  const again = startAgent();
  const fw2 = await connect();
  const s = await fw2.getState();
  assert.is(s.state, "muted", "still muted after a restart");
  assert.is(s.mutedBy, "button");
  const talk = await fw2.talk("down");
  assert.is(talk.type, "nack", "talk is refused while muted");
  await new Promise((r) => setTimeout(r, 300));
  assert.not.ok(childrenOf(again.proc.pid!).includes("arecord"), "no recorder while muted");
  fw2.stop();
});

A("mute-for a short time: muted, then unmuted at the deadline, also across a restart", async () => {
  startAgent();
  const fw = await connect();
  const r = await fw.muteFor(1.5 / 60); // 1.5 s
  assert.is(r.type, "ack");
  assert.is((await fw.getState()).mutedBy, "timer");
  await fw.waitFor(() => fw.state?.state === "standby", 5000, "the timed mute to end");
  assert.ok(fw.sounds.includes("mute-off"));

  // Timed mute, agent stopped before the deadline and started after it: unmuted at boot.
  await fw.muteFor(1 / 60);
  fw.stop();
  await stopAgent(running[0]!);
  await new Promise((res) => setTimeout(res, 1200));
  const later = startAgent();
  const fw2 = await connect();
  assert.is((await fw2.getState()).state, "standby");
  assert.match(later.out(), /ran out while the agent was stopped/);
  fw2.stop();
});

A("SIGTERM during a capture closes the recorder before the agent exits", async () => {
  const agent = startAgent();
  const fw = await connect();
  await fw.talk("down");
  const pid = await recorderPid(fw);
  fw.stop();
  assert.is(await stopAgent(agent), 0);
  assert.not.ok(pidAlive(pid), "no recorder outlives the agent");
});

A("recorder binary missing: a clear error, the gate stays closed, the agent keeps running", async () => {
  const bin = tempDir();
  const agent = startAgent({ ...mic.env, PATH: bin.path });
  const fw = await connect();
  await fw.talk("down");
  await fw.waitFor(() => fw.state?.state === "failed", 5000, "the gate to fail");
  const s = await fw.getState();
  assert.is(s.micOpen, false);
  assert.ok(fw.unavailable.some((u) => /microphone/.test(u)));
  await until(() => /not found on PATH/.test(agent.err()), 3000, "the error on stderr");
  assert.match(agent.err(), /alsa-utils/);
  assert.is(agent.proc.exitCode, null, "the agent is still running");
  fw.stop();
  bin.remove();
});

A.run();
