/**
 * De-identified uploads to a real local HTTPS server (self-signed certificate made here), from
 * the agent as a real process: nothing identifying in bodies or headers; a queue that survives
 * kill -9 while the server is down and delivers every upload exactly once when it is back.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { hostname, networkInterfaces } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readPcm16 } from "../../../agent/audio/wav.ts";
import { FakeFirmware } from "../../../firmware-bridge/sim/fake-firmware.ts";
import { freePort, HttpsReceiver, selfSignedCert } from "../../helpers/https-receiver.ts";
import { sleep, tempDir, until } from "../../helpers/tmp.ts";

const IDENTITY = { id: "dev-canary-7Q2X", serial: "SERIAL-CANARY-991", accountId: "acct-canary-4471" };

const U = suite("https uploads (real server, agent process)");
let dir: ReturnType<typeof tempDir>;
let pem: { key: string; cert: string };
const procs: ChildProcess[] = [];
U.before.each(() => {
  dir = tempDir("spa-upload-");
  pem = selfSignedCert(dir.path);
});
U.after.each(async () => {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  dir.remove();
});

function writeConfig(port: number, extra: Record<string, unknown> = {}): string {
  const path = join(dir.path, "config.json");
  writeFileSync(
    path,
    JSON.stringify({
      mode: "near",
      dataDir: join(dir.path, "data"),
      audio: { source: "file", file: "test/fixtures/audio/speech-16k.wav", pacing: "realtime", loop: true },
      bridge: { socketPath: join(dir.path, "run", "bridge.sock") },
      wake: { engine: "none" },
      status: { enabled: false },
      device: IDENTITY,
      upload: {
        kind: "https",
        endpoint: `https://127.0.0.1:${port}/v1/uploads`,
        allowedHosts: ["127.0.0.1"],
        caFile: pem.cert,
        retryBaseMs: 200,
        retryMaxMs: 1000,
        timeoutMs: 3000,
        sendDelayMaxSeconds: 0,
        deletionGapMaxSeconds: 0,
      },
      ...extra,
    }),
  );
  return path;
}

function spawnAgent(config: string): ChildProcess {
  const p = spawn(process.execPath, ["bin/spa.mjs", "start", "--config", config], { stdio: ["ignore", "ignore", "pipe"] });
  p.stderr!.on("data", (d: Buffer) => process.env.TEST_VERBOSE && process.stderr.write(d));
  procs.push(p);
  return p;
}

async function firmware(): Promise<FakeFirmware> {
  const sock = join(dir.path, "run", "bridge.sock");
  await until(() => existsSync(sock), 20_000, "the bridge socket");
  return FakeFirmware.start({ socketPath: sock, ackDelayMs: 0 });
}

async function talk(fw: FakeFirmware, ms = 400): Promise<void> {
  await fw.talk("down");
  await fw.waitFor(() => fw.led === "listening", 3000, "listening LED");
  await sleep(ms);
  await fw.talk("up");
}

function queued(config: string): Array<{ uploadId: string; attempts: number }> {
  const r = spawnSync(process.execPath, ["bin/spa.mjs", "uploads", "--json", "--config", config], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.trim()
    ? r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { uploadId: string; attempts: number })
    : [];
}

/** Every identifier of this device that an upload must not carry. */
function identifiers(): string[] {
  const macs = Object.values(networkInterfaces())
    .flat()
    .map((i) => i?.mac)
    .filter((m): m is string => !!m && m !== "00:00:00:00:00:00");
  const forms = macs.flatMap((m) => [m, m.toUpperCase(), m.replace(/:/g, ""), m.replace(/:/g, "").toUpperCase(), m.replace(/:/g, "-")]);
  return [IDENTITY.id, IDENTITY.serial, IDENTITY.accountId, hostname(), ...forms];
}

U("uploads carry no account, device, serial, MAC or hostname; audio arrives as modified WAV", async () => {
  const server = await HttpsReceiver.start(pem);
  const config = writeConfig(server.port);
  const agent = spawnAgent(config);
  const fw = await firmware();
  await talk(fw);
  await talk(fw);
  await until(() => server.received.length === 2, 10_000, "two uploads");
  fw.stop();
  agent.kill("SIGTERM");
  await server.close();
  const ids = identifiers();
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const leaks = (text: string, id: string): boolean => new RegExp(`(^|[^A-Za-z0-9])${escape(id)}($|[^A-Za-z0-9])`, "i").test(text);
  // The scan finds what it looks for (a control, so it cannot pass vacuously).
  for (const id of ids) assert.ok(leaks(JSON.stringify({ host: id }), id), `control for ${id}`);
  for (const r of server.received) {
    assert.is(r.method, "POST");
    assert.is(r.url, "/v1/uploads");
    const body = JSON.parse(r.body.toString()) as { envelope: Record<string, unknown>; audioWav: string };
    assert.equal(Object.keys(body).sort(), ["audioWav", "envelope"]);
    // Envelope and headers: every identifier, as a whole token (short host names like "vm" too).
    const text = JSON.stringify(body.envelope) + "\n" + r.rawHeaders.join("\n");
    // The WAV bytes and the raw body (base64): identifiers long enough not to occur by chance.
    const wavText = Buffer.from(body.audioWav, "base64").toString("latin1");
    for (const id of ids) {
      assert.not.ok(leaks(text, id), `envelope or headers carry ${id}`);
      if (id.length >= 8) assert.not.ok(r.body.includes(id) || wavText.includes(id), `body carries ${id}`);
    }
    assert.equal(Object.keys(r.headers).sort(), ["connection", "content-length", "content-type", "host"]);
    assert.is(body.envelope.trainingAllowed, true);
    assert.ok(readPcm16(Buffer.from(body.audioWav, "base64")).length > 1000);
  }
  assert.is(new Set(server.uploadIds()).size, 2, "a fresh id per upload");
});

U("server down: uploads queue; kill -9; restart; server back: each upload arrives exactly once", async () => {
  const port = await freePort();
  const config = writeConfig(port);
  const first = spawnAgent(config);
  const fw = await firmware();
  for (let i = 0; i < 3; i++) await talk(fw, 300);
  fw.stop();
  await until(() => queued(config).length === 3 && queued(config).every((q) => q.attempts >= 1), 10_000, "three queued uploads that have failed once");
  first.kill("SIGKILL");
  await new Promise((r) => first.once("exit", r));
  const ids = queued(config)
    .map((q) => q.uploadId)
    .sort();

  const server = await HttpsReceiver.start(pem, port);
  const second = spawnAgent(config);
  await until(() => server.received.length >= 3, 15_000, "the queued uploads");
  await sleep(1500); // room for any duplicate to show up
  second.kill("SIGTERM");
  await new Promise((r) => second.once("exit", r));
  await server.close();
  assert.equal(server.uploadIds().sort(), ids, "exactly the queued uploads, once each");
  assert.equal(queued(config), []);
});

U("training use off for the household: every upload says trainingAllowed=false", async () => {
  const server = await HttpsReceiver.start(pem);
  const config = writeConfig(server.port, { privacy: { trainingUse: false } });
  const agent = spawnAgent(config);
  const fw = await firmware();
  await talk(fw);
  await until(() => server.received.length === 1, 10_000, "one upload");
  fw.stop();
  agent.kill("SIGTERM");
  await server.close();
  assert.is((JSON.parse(server.received[0]!.body.toString()) as { envelope: { trainingAllowed: boolean } }).envelope.trainingAllowed, false);
});

U.run();
