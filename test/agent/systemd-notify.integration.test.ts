/**
 * The agent under systemd's notify protocol: READY=1 only once the gate is up (the bridge
 * accepts connections), WATCHDOG=1 from the event loop at half the watchdog timeout, STOPPING=1
 * on SIGTERM. The real `spa start` sends through the real `systemd-notify` to a Unix datagram
 * socket that stands in for systemd's (Python, since Node has no Unix datagram sockets); it also
 * releases systemd-notify's barrier, as systemd does.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ServiceNotifier } from "../../agent/adapters/systemd-notify.ts";
import { FakeClock } from "../fakes/fake-clock.ts";
import { demoAgentArgs, envWithoutSpa } from "../helpers/demo-agent.ts";
import { tempDir, until } from "../helpers/tmp.ts";

const N = suite("systemd notify");

N("no NOTIFY_SOCKET: nothing is sent; with one: READY, pings every half timeout, none after STOPPING", () => {
  const clock = new FakeClock();
  const sent: string[][] = [];
  const off = new ServiceNotifier({ WATCHDOG_USEC: "1000000" }, clock, (a) => void sent.push(a));
  off.ready("up");
  clock.advance(5000);
  assert.equal(sent, []);
  assert.is(off.watchdogIntervalMs, null);

  const on = new ServiceNotifier({ NOTIFY_SOCKET: "/run/systemd/notify", WATCHDOG_USEC: "20000000" }, clock, (a) => void sent.push(a));
  assert.is(on.watchdogIntervalMs, 10_000);
  clock.advance(60_000);
  assert.equal(sent, [], "no ping before READY");
  on.ready("gate up");
  assert.ok(sent[0]!.includes("READY=1"));
  clock.advance(35_000);
  assert.is(sent.filter((a) => a.includes("WATCHDOG=1")).length, 3);
  void on.stopping();
  assert.ok(sent.at(-1)!.includes("STOPPING=1"));
  clock.advance(60_000);
  assert.is(sent.filter((a) => a.includes("WATCHDOG=1")).length, 3, "no pings after STOPPING");
});

N("a watchdog meant for another process (WATCHDOG_PID) or none at all: READY without pings", () => {
  const clock = new FakeClock();
  const sent: string[][] = [];
  const n = new ServiceNotifier({ NOTIFY_SOCKET: "/x", WATCHDOG_USEC: "1000000", WATCHDOG_PID: "1" }, clock, (a) => void sent.push(a), 4242);
  assert.is(n.watchdogIntervalMs, null);
  n.ready("up");
  clock.advance(10_000);
  assert.is(sent.length, 1);
  assert.is(new ServiceNotifier({ NOTIFY_SOCKET: "/x", WATCHDOG_USEC: "1000000", WATCHDOG_PID: "4242" }, clock, () => {}, 4242).watchdogIntervalMs, 500);
  assert.is(new ServiceNotifier({ NOTIFY_SOCKET: "/x", WATCHDOG_USEC: "nonsense" }, clock, () => {}).watchdogIntervalMs, null);
});

/** A stand-in for systemd's notify socket: prints each datagram on a line, closes passed fds. */
const RECEIVER = `
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
            for fd in fds:
                os.close(fd)
    print(msg.decode().replace("\\n", "|"), flush=True)
`;

/** A stand-in for systemd's notify socket in `dir`: its path and everything it has received so far. */
async function notifySocketIn(dir: string, procs: ChildProcess[]): Promise<{ path: string; got: () => string }> {
  const path = join(dir, "notify");
  const receiver = spawn("python3", ["-c", RECEIVER, path], { stdio: ["ignore", "pipe", "inherit"] });
  procs.push(receiver);
  let got = "";
  receiver.stdout!.on("data", (d) => (got += d));
  await until(() => got.includes("listening"), 10_000, "the notify socket");
  return { path, got: () => got };
}

const QUIET = { "simulator.enabled": "false", "upload.kind": "off" };

N("spa start under a notify socket: READY once the bridge accepts, watchdog pings, STOPPING on SIGTERM", async () => {
  const dir = tempDir("spa-notify-");
  const procs: ChildProcess[] = [];
  try {
    const notify = await notifySocketIn(dir.path, procs);
    const agent = spawn(process.execPath, demoAgentArgs(dir.path, QUIET), {
      env: envWithoutSpa({ NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: "400000" }),
      stdio: ["ignore", "ignore", "pipe"],
    });
    procs.push(agent);
    let err = "";
    agent.stderr!.on("data", (d) => (err += d));
    const exited = new Promise<number | null>((r) => agent.once("exit", (code) => r(code)));
    await until(() => notify.got().includes("READY=1"), 60_000, `READY=1 (agent stderr: ${err})`);
    assert.match(notify.got(), `MAINPID=${agent.pid}`);
    // Ready means ready: the bridge takes a connection at once.
    await new Promise<void>((ok, fail) => {
      const c = createConnection(join(dir.path, "bridge.sock"), () => {
        c.destroy();
        ok();
      });
      c.on("error", fail);
    });
    await until(() => notify.got().split("WATCHDOG=1").length - 1 >= 3, 30_000, "three watchdog pings");
    agent.kill("SIGTERM");
    assert.is(await exited, 0);
    await until(() => notify.got().includes("STOPPING=1"), 10_000, "STOPPING=1");
    assert.is(notify.got().split("READY=1").length - 1, 1, "ready once");
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    dir.remove();
  }
});

N("a SIGTERM while the agent starts: STOPPING, and never a READY after it", async () => {
  const dir = tempDir("spa-notify-");
  const procs: ChildProcess[] = [];
  try {
    const notify = await notifySocketIn(dir.path, procs);
    const agent = spawn(process.execPath, demoAgentArgs(dir.path, QUIET), {
      env: envWithoutSpa({ NOTIFY_SOCKET: notify.path }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    procs.push(agent);
    let out = "";
    const exited = new Promise<number | null>((r) => agent.once("exit", (code) => r(code)));
    // "fleet policy: …" is printed in the last steps of start-up, just before the gate is ready.
    agent.stdout!.on("data", (d) => {
      const before = out;
      out += d;
      if (!before.includes("fleet policy:") && out.includes("fleet policy:")) agent.kill("SIGTERM");
    });
    await exited;
    await until(() => notify.got().includes("STOPPING=1"), 10_000, "STOPPING=1");
    const got = notify.got();
    const ready = got.indexOf("READY=1");
    assert.ok(ready === -1 || ready < got.indexOf("STOPPING=1"), `READY after STOPPING: ${got}`);
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    dir.remove();
  }
});

N("started by an older Node (the wrapper re-runs spa under Node 24), a watchdog meant for the wrapper's pid is served by the agent", async () => {
  const old = ["/usr/bin/node", "/usr/local/bin/node"].find((n) => {
    const v = spawnSync(n, ["-p", "process.features.typescript ? 'strip' : process.versions.node"], { encoding: "utf8" });
    return v.status === 0 && v.stdout.trim() !== "strip";
  });
  if (!old) return; // the system Node strips types itself: no wrapper in between
  const dir = tempDir("spa-notify-");
  const procs: ChildProcess[] = [];
  try {
    const notify = await notifySocketIn(dir.path, procs);
    // systemd sets WATCHDOG_PID to the process it started: here the wrapper (exec keeps the shell's pid).
    const wrapper = spawn("sh", ["-c", 'export WATCHDOG_PID=$$; exec "$0" "$@"', old, ...demoAgentArgs(dir.path, QUIET)], {
      env: envWithoutSpa({ NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: "400000" }),
      stdio: ["ignore", "ignore", "pipe"],
    });
    procs.push(wrapper);
    const exited = new Promise((r) => wrapper.once("exit", r));
    await until(() => notify.got().split("WATCHDOG=1").length - 1 >= 2, 60_000, "watchdog pings from the agent");
    // The wrapper passes SIGTERM on and exits with the agent (a SIGKILL would orphan the agent).
    wrapper.kill("SIGTERM");
    await exited;
  } finally {
    // The agent under the wrapper goes with a SIGTERM to the wrapper; only then the rest.
    for (const p of procs.slice(1)) if (p.exitCode === null) p.kill("SIGTERM");
    await Promise.race([
      Promise.all(procs.slice(1).map((p) => (p.exitCode === null ? new Promise((r) => p.once("exit", r)) : null))),
      new Promise((r) => setTimeout(r, 10_000)),
    ]);
    for (const p of procs) p.kill("SIGKILL");
    dir.remove();
  }
});

N.run();
