/**
 * Fleet policy end to end: a real mosquitto (TLS + password, started here), the agent as a real
 * process, the operator's own `spa policy` / `spa fleet` commands.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { DAY_MS } from "../../../agent/ledger/retention.ts";
import { generateKeys, signEnvelope } from "../../../agent/policy/trust.ts";
import { stateData } from "../../../firmware-bridge/protocol/messages.ts";
import { FakeFirmware } from "../../../firmware-bridge/sim/fake-firmware.ts";
import { FakeClock } from "../../fakes/fake-clock.ts";
import { openLedgerAt, storeCapture } from "../../helpers/ledger-fixture.ts";
import { startBroker, type Broker } from "../../helpers/mosquitto.ts";
import { sleep, tempDir, until } from "../../helpers/tmp.ts";

const F = suite("fleet policy (real mosquitto, agent process)");
let dir: ReturnType<typeof tempDir>;
let broker: Broker;
let keys: ReturnType<typeof generateKeys>;
let cfg: string;
let op: MqttClient;
const states = new Map<string, Record<string, unknown>>();
const online = new Map<string, string>();
const procs: ChildProcess[] = [];
/** What the agents wrote to stderr (their log), this test. */
const agentLog: string[] = [];

F.before.each(async () => {
  dir = tempDir("spa-fleet-");
  broker = await startBroker(dir.path);
  keys = generateKeys();
  writeFileSync(join(dir.path, "op.pub.pem"), keys.publicPem);
  writeFileSync(join(dir.path, "op.pem"), keys.privatePem, { mode: 0o600 });
  cfg = join(dir.path, "config.json");
  writeFileSync(
    cfg,
    JSON.stringify({
      mode: "near",
      dataDir: join(dir.path, "data"),
      audio: { source: "file", file: "test/fixtures/audio/speech-16k.wav" },
      bridge: { socketPath: join(dir.path, "run", "bridge.sock") },
      wake: { engine: "none" },
      status: { enabled: false },
      upload: { kind: "off" },
      device: { id: "dev1" },
      policy: {
        trustedKeys: [{ keyId: keys.keyId, publicKeyFile: join(dir.path, "op.pub.pem") }],
        mqtt: {
          url: broker.url,
          fleet: "f1",
          caFile: broker.ca,
          username: broker.username,
          passwordFile: broker.passwordFile,
          reconnectMinMs: 200,
          reconnectMaxMs: 1000,
        },
      },
    }),
  );
  op = await mqtt.connectAsync(broker.url, { ca: readFileSync(broker.ca), username: broker.username, password: broker.password, reconnectPeriod: 300 });
  op.on("message", (topic, payload) => {
    const m = /^spa\/v1\/device\/([^/]+)\/(state|online)$/.exec(topic);
    if (!m || !payload.length) return;
    if (m[2] === "state") states.set(m[1]!, JSON.parse(payload.toString()) as Record<string, unknown>);
    else online.set(m[1]!, payload.toString());
  });
  await op.subscribeAsync(["spa/v1/device/+/state", "spa/v1/device/+/online"], { qos: 1 });
});

F.after.each(async () => {
  agentLog.length = 0;
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  await op.endAsync(true);
  states.clear();
  online.clear();
  await broker.stop();
  dir.remove();
});

function agent(): ChildProcess {
  const p = spawn(process.execPath, ["bin/spa.mjs", "start", "--config", cfg], { stdio: ["ignore", "ignore", "pipe"] });
  p.stderr!.on("data", (d: Buffer) => {
    agentLog.push(d.toString());
    if (process.env.TEST_VERBOSE) process.stderr.write(d);
  });
  procs.push(p);
  return p;
}

const envelope = (policy: Record<string, unknown>, version: number): string =>
  JSON.stringify(signEnvelope(keys.privatePem, { policy, version, issuedAt: new Date().toISOString() }));
const publish = (topic: string, text: string): Promise<unknown> => op.publishAsync(`spa/v1/${topic}`, text, { qos: 1, retain: true });
const applied = (): number => Number(states.get("dev1")?.appliedVersion ?? -1);
const conn = (): string[] => ["--broker", broker.url, "--ca", broker.ca, "--username", broker.username, "--password-file", broker.passwordFile];
const jsonLines = (out: string): unknown[] =>
  out
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);
const spa = (...args: string[]) => spawnSync(process.execPath, ["bin/spa.mjs", ...args], { encoding: "utf8", env: { ...process.env, SPA_CONFIG: "" } });

F("a retained policy from before the agent connected applies; newer replaces; older is rejected; operator tools", async () => {
  await publish("fleet/f1/policy", envelope({ retentionDays: 90 }, 1));
  agent();
  await until(() => applied() === 1, 20_000, "version 1 applied");
  assert.is(online.get("dev1"), "online");
  assert.is(states.get("dev1")!.status, "applied");

  // The operator's tools: sign and push version 2.
  writeFileSync(join(dir.path, "p2.json"), JSON.stringify({ retentionDays: 60, farField: false }));
  const signed = spa("policy", "sign", "--key", join(dir.path, "op.pem"), "--version", "2", join(dir.path, "p2.json"));
  assert.is(signed.status, 0, signed.stderr);
  writeFileSync(join(dir.path, "e2.json"), signed.stdout);
  const push = spa("policy", "push", ...conn(), "--fleet", "f1", join(dir.path, "e2.json"));
  assert.is(push.status, 0, push.stderr);
  await until(() => applied() === 2, 10_000, "version 2 applied");

  await publish("fleet/f1/policy", envelope({ retentionDays: 30 }, 1));
  await until(() => (states.get("dev1")!.lastRejection as { code: string } | null)?.code === "NOT_NEWER", 10_000, "the rollback rejected");
  assert.is(applied(), 2);
  // A loosening policy is rejected and reported, the last good one stays.
  await publish("fleet/f1/policy", envelope({ retentionDays: 365 }, 3));
  await until(() => (states.get("dev1")!.lastRejection as { code: string } | null)?.code === "RETENTION_ABOVE_CAP", 10_000, "the loosening rejected");
  assert.is(applied(), 2);
  // A device-specific policy overrides the fleet's when newer.
  await publish("device/dev1/policy", envelope({ retentionDays: 20 }, 5));
  await until(() => applied() === 5, 10_000, "device policy applied");

  const status = spa("fleet", "status", ...conn(), "--fleet", "f1");
  assert.is(status.status, 0, status.stderr);
  assert.match(status.stdout, /dev1\s+online\s+5\s+applied\s+RETENTION_ABOVE_CAP \(v3\)/);
  assert.match(status.stdout, /1 devices/);
  // A state that does not match the topic catalogue is shown as such, not half-read.
  await publish("device/junk/state", JSON.stringify({ fleet: "f1", appliedVersion: "lots" }));
  const all = spa("fleet", "status", ...conn());
  assert.match(all.stdout, /junk\s+\?\s+\?\s+INVALID STATE/);
});

F(
  "a fleet policy puts its speakers in hotel mode and only a later one takes them out: the state and get-state show it, guest sessions leave no capture, both changes audited",
  async () => {
    await publish("fleet/f1/policy", envelope({ hotel: true }, 1));
    agent();
    await until(() => applied() === 1 && states.get("dev1")?.profile === "hotel", 20_000, "hotel by policy");
    const fw = await FakeFirmware.start({ socketPath: join(dir.path, "run", "bridge.sock"), ackDelayMs: 0 });
    await fw.talk("down");
    await fw.waitFor(() => fw.led === "listening", 3000, "listening LED");
    await sleep(400);
    await fw.talk("up");
    await fw.waitFor(() => fw.led !== "listening", 3000, "session over");
    const bound = await fw.request({ type: "account-bind" });
    assert.ok(bound.type === "nack" && bound.code === "HOTEL_MODE", JSON.stringify(bound));
    const r = await fw.request({ type: "get-state" });
    const s = r.type === "ack" ? stateData(r.data) : null;
    assert.is(s?.profile, "hotel");
    assert.is(s?.counters.hotelDropped, 1);
    // A newer policy without it takes the speaker out of hotel mode.
    await publish("fleet/f1/policy", envelope({ retentionDays: 30 }, 2));
    await until(() => applied() === 2 && states.get("dev1")?.profile === "household", 10_000, "household again");
    fw.stop();
    const history = spa("history", "--config", cfg, "--json");
    assert.is(history.status, 0, history.stderr);
    assert.equal(jsonLines(history.stdout), [], "no capture from the guest's session");
    const audit = spa("audit", "--config", cfg, "--json", "--limit", "1000");
    assert.is(audit.status, 0, audit.stderr);
    const profiles = (jsonLines(audit.stdout) as Array<{ type: string; data: Record<string, unknown> }>).filter((e) => e.type === "profile");
    assert.equal(
      profiles.map((e) => [e.data.from, e.data.to, e.data.fleet, e.data.policyVersion]),
      [
        ["household", "hotel", true, 1],
        ["hotel", "household", false, 2],
      ],
    );
    assert.not.ok(audit.stdout.includes("session-kept"), "the guest's session left no audit row");
  },
);

F("hotel check-out (spa policy checkout): what a guest left is wiped once, audited, reported; a home speaker refuses", async () => {
  const conf = JSON.parse(readFileSync(cfg, "utf8")) as Record<string, unknown>;
  writeFileSync(cfg, JSON.stringify({ ...conf, profile: "hotel" }));
  const templates = join(dir.path, "data", "wake-templates");
  agent();
  await until(() => states.get("dev1")?.profile === "hotel", 20_000, "hotel device online");
  // What a guest leaves: a choice, and enrolled templates.
  const fw = await FakeFirmware.start({ socketPath: join(dir.path, "run", "bridge.sock"), ackDelayMs: 0 });
  const chose = await fw.request({ type: "training-use", allowed: false });
  assert.is(chose.type, "ack");
  fw.stop();
  mkdirSync(templates, { recursive: true });
  writeFileSync(join(templates, "templates.json"), "{}");
  const out = spa("policy", "checkout", "--key", join(dir.path, "op.pem"), "--device", "dev1", "--seq", "10", ...conn());
  assert.is(out.status, 0, out.stderr);
  const checkedOut = () => (states.get("dev1")?.lastCheckout as { seq: number; result: string } | null | undefined) ?? null;
  await until(() => checkedOut()?.result === "done" && checkedOut()?.seq === 10, 10_000, "check-out done");
  assert.not.ok(existsSync(templates), "templates wiped");
  const audit = () => (jsonLines(spa("audit", "--config", cfg, "--json", "--limit", "1000").stdout) as Array<{ type: string }>).map((e) => e.type);
  assert.ok(audit().includes("checkout") && audit().includes("wipe"), audit().join(" "));
  assert.not.ok(audit().includes("consent-withdrawn"), "the guest's choice went with the history");
  // The broker re-delivers the retained order on every connect: it is carried out once.
  const restart = async (profile: string): Promise<void> => {
    const p = procs.at(-1)!;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    await exited;
    states.delete("dev1");
    writeFileSync(cfg, JSON.stringify({ ...conf, profile }));
    agent();
  };
  await restart("hotel");
  await until(() => states.get("dev1")?.profile === "hotel", 20_000, "hotel device back");
  // A newer order after the re-delivered one (messages arrive in order): done, and the old one was not carried out again.
  assert.is(spa("policy", "checkout", "--key", join(dir.path, "op.pem"), "--device", "dev1", "--seq", "11", ...conn()).status, 0);
  await until(() => checkedOut()?.result === "done" && checkedOut()?.seq === 11, 10_000, "check-out 11 done");
  assert.is((agentLog.join("").match(/hotel check-out: everything/g) ?? []).length, 2, "check-outs 10 and 11, once each");
  // A home speaker refuses a check-out (a hotel's key must not wipe a home).
  await restart("household");
  await until(() => states.get("dev1")?.profile === "household", 20_000, "household again");
  spa("policy", "checkout", "--key", join(dir.path, "op.pem"), "--device", "dev1", "--seq", "12", ...conn());
  await until(() => checkedOut()?.result === "NOT_HOTEL", 10_000, "refused at home");
});

F("spa policy push reads what the topic holds: an older or same-version envelope is refused unless --force; the same one is a no-op", async () => {
  const file = (v: number, policy: Record<string, unknown>): string => {
    const f = join(dir.path, `e${v}-${JSON.stringify(policy).replace(/\W/g, "")}.json`);
    writeFileSync(f, envelope(policy, v));
    return f;
  };
  const v3 = file(3, { retentionDays: 60 });
  const push = (...a: string[]) => spa("policy", "push", ...conn(), "--fleet", "f1", ...a);
  const first = push(v3);
  assert.is(first.status, 0, first.stderr);
  assert.match(first.stdout, /pushed version 3 \(retained\)/);
  const again = push(v3);
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stdout, /already holds this envelope \(version 3\)/);
  const older = push(file(2, { retentionDays: 30 }));
  assert.is(older.status, 1);
  assert.match(older.stderr, /holds version 3; pushing version 2 would replace it with an older one[\s\S]*--force/);
  const sameVersion = push(file(3, { retentionDays: 20 }));
  assert.is(sameVersion.status, 1);
  assert.match(sameVersion.stderr, /another envelope of the same version/);
  assert.match(push(v3).stdout, /already holds this envelope/, "the refused pushes changed nothing");
  const forced = push("--force", file(2, { retentionDays: 30 }));
  assert.is(forced.status, 0, forced.stderr);
  assert.match(forced.stdout, /pushed version 2 \(retained\) to spa\/v1\/fleet\/f1\/policy, replacing version 3 \(--force\)/);
  const newer = push(file(4, { retentionDays: 30 }));
  assert.is(newer.status, 0, newer.stderr);
  assert.match(newer.stdout, /replacing version 2$/m);
});

F("a shorter retention purges at once; broker outage: the gate works on, and a policy published meanwhile is picked up", async () => {
  const clock = new FakeClock(Date.now() - 100 * DAY_MS);
  const f = openLedgerAt(join(dir.path, "data"), clock);
  storeCapture(f.ledger);
  clock.advance(100 * DAY_MS - 60_000);
  storeCapture(f.ledger);
  f.close();
  agent();
  await until(
    () => applied() === 0 && (states.get("dev1")!.compliance as { capturesKept: number }).capturesKept === 2,
    20_000,
    "the agent online with two captures",
  );
  await publish("fleet/f1/policy", envelope({ retentionDays: 30 }, 1));
  await until(() => applied() === 1, 10_000, "retention 30 applied");
  const comp = states.get("dev1")!.compliance as { capturesKept: number; purged: number; oldestKeptDays: number };
  assert.equal([comp.capturesKept, comp.purged, comp.oldestKeptDays], [1, 1, 0], "the 100-day-old capture purged at once");

  await broker.stop();
  const fw = await FakeFirmware.start({ socketPath: join(dir.path, "run", "bridge.sock"), ackDelayMs: 0 });
  await fw.talk("down");
  await fw.waitFor(() => fw.led === "listening", 3000, "capture while the broker is down");
  await fw.talk("up");
  assert.is((await fw.request({ type: "get-state" })).type, "ack");
  fw.stop();
  await sleep(500);
  await broker.start();
  await until(() => op.connected, 10_000, "operator reconnected");
  await publish("fleet/f1/policy", envelope({ retentionDays: 20 }, 2));
  await until(() => applied() === 2, 15_000, "the policy published during the outage applied after reconnect");
});

F("Last Will: kill -9 the agent and its online topic says offline", async () => {
  const p = agent();
  await until(() => online.get("dev1") === "online", 20_000, "online");
  p.kill("SIGKILL");
  await until(() => online.get("dev1") === "offline", 10_000, "offline by Last Will");
});

F.run();
