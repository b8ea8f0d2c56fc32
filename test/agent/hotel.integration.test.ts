/**
 * Hotel profile on the real agent (real ledger file, real bridge socket, real outbox, real
 * mosquitto): a guest's sessions that are not catalogue commands leave nothing behind — no capture
 * row, no session audit row, no upload, no file, no MQTT message, no raw audio anywhere — and the
 * profile change itself is audited.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import mqtt from "mqtt";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FakeFirmware } from "../../firmware-bridge/sim/fake-firmware.ts";
import { stateData } from "../../firmware-bridge/protocol/messages.ts";
import { startAgent, type InProcessAgent } from "../helpers/agent-in-process.ts";
import { probes, scanFor, writeCanaryWav } from "../helpers/canary.ts";
import { sleep, tempDir, until } from "../helpers/tmp.ts";
import { startBroker, type Broker } from "../helpers/mosquitto.ts";

const H = suite("hotel profile (real agent)");
let src: ReturnType<typeof tempDir>;
let canary: string;
let raw: Int16Array;
H.before(() => {
  src = tempDir("spa-hotel-src-");
  canary = join(src.path, "canary.wav");
  raw = writeCanaryWav(canary, 4);
});
H.after(() => src.remove());

async function hotelAgent(dataDir?: string, broker?: Broker): Promise<InProcessAgent> {
  return startAgent({
    profile: "hotel",
    mode: "near",
    audio: { source: "file", file: canary, pacing: "realtime", loop: true },
    ...(dataDir ? { dataDir } : {}),
    ...(broker
      ? {
          device: { id: "room-202" },
          policy: { mqtt: { url: broker.url, fleet: "hotel", caFile: broker.ca, username: broker.username, passwordFile: broker.passwordFile } },
        }
      : {}),
  });
}

const outbox = (a: InProcessAgent): string[] => (existsSync(join(a.dir, "outbox")) ? readdirSync(join(a.dir, "outbox")) : []);
const sessionRows = (a: InProcessAgent): number => a.agent.ledger!.audit.list(10_000).filter((r) => /^session-|^false-wake/.test(r.type)).length;

H(
  "property: any sequence of push-to-talk sessions in a hotel room that are not catalogue commands leaves 0 capture rows, 0 session audit rows, 0 uploads, 0 files, 0 MQTT messages (real broker) and no raw audio",
  async () => {
    const dir = tempDir("spa-hotel-broker-");
    const broker = await startBroker(dir.path);
    // Everything anyone publishes on the broker, seen by the hotel's own system.
    const watcher = await mqtt.connectAsync(broker.url, { ca: readFileSync(broker.ca), username: broker.username, password: broker.password });
    const seen: string[] = [];
    watcher.on("message", (topic) => seen.push(topic));
    await watcher.subscribeAsync("#", { qos: 1 });
    /** Every message published before this call has reached the watcher: its own probe comes back after them. */
    const drained = async (): Promise<void> => {
      const n = seen.length;
      await watcher.publishAsync("probe/drained", "", { qos: 1 });
      await until(() => seen.slice(n).includes("probe/drained"), 10_000, "the probe back");
      seen.splice(seen.lastIndexOf("probe/drained"), 1);
    };
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 250, max: 900 }), { minLength: 1, maxLength: 3 }), async (lengths) => {
          const a = await hotelAgent(undefined, broker);
          const fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
          try {
            await until(() => a.agent.policy!.connected, 10_000, "broker connected");
            // The agent's own connect (online, state) is done with before the guest speaks.
            await until(() => seen.includes("spa/v1/device/room-202/state"), 10_000, "the agent's state on connect");
            await drained();
            const published = seen.length;
            const auditBefore = a.agent.ledger!.audit.count();
            for (const ms of lengths) {
              await fw.talk("down");
              await fw.waitFor(() => fw.led === "listening", 3000, "listening LED");
              await sleep(ms);
              await fw.talk("up");
              await fw.waitFor(() => fw.led !== "listening", 3000, "session over");
            }
            await a.agent.driver!.settled();
            const reply = await fw.request({ type: "get-state" });
            const state = reply.type === "ack" ? stateData(reply.data) : null;
            assert.is(state?.profile, "hotel");
            assert.is(state?.counters.hotelDropped, state?.counters.sessionsKept, "every kept session was dropped");
            assert.ok((state?.counters.hotelDropped ?? 0) >= 1, "sessions happened");
            assert.is(a.agent.captures!.count(), 0, "capture rows");
            assert.is(a.agent.captures!.uploads.queued().length, 0, "queued uploads");
            assert.is(sessionRows(a), 0, "session audit rows");
            assert.is(a.agent.ledger!.audit.count(), auditBefore, "no audit row at all for the guest's sessions");
            assert.equal(outbox(a), [], "outbox files");
            assert.equal(scanFor(a.dir, probes(raw)), [], "raw audio anywhere the agent writes");
            await drained();
            assert.equal(seen.slice(published), [], "MQTT messages while the guest spoke");
            seen.length = 0;
          } finally {
            fw.stop();
            await a.stop();
          }
        }),
        { numRuns: 3 },
      );
    } finally {
      await watcher.endAsync();
      await broker.stop();
      dir.remove();
    }
  },
);

H("a personal account cannot be bound in a hotel room: spa bridge account-bind gets HOTEL_MODE over the real socket, and nothing is audited", async () => {
  const a = await hotelAgent();
  try {
    const before = a.agent.ledger!.audit.count();
    // Asynchronously: the agent answering is in this process.
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) =>
      execFile(process.execPath, ["bin/spa.mjs", "bridge", "account-bind", "--socket", a.socketPath], (e, stdout, stderr) =>
        done({ status: e ? (typeof e.code === "number" ? e.code : null) : 0, stdout, stderr }),
      ),
    );
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stdout + r.stderr, /HOTEL_MODE/);
    assert.is(a.agent.ledger!.audit.count(), before);
  } finally {
    await a.stop();
  }
});

H("entering and leaving hotel mode is audited, once each", async () => {
  const dir = tempDir("spa-hotel-data-");
  try {
    const data = join(dir.path, "data");
    const profileRows = (a: InProcessAgent) =>
      a.agent
        .ledger!.audit.list(10_000)
        .filter((r) => r.type === "profile")
        .map((r) => ({ from: r.data.from, to: r.data.to, config: r.data.config, fleet: r.data.fleet }));
    let a = await hotelAgent(data);
    assert.equal(profileRows(a), [{ from: "household", to: "hotel", config: "hotel", fleet: false }]);
    await a.stop();
    a = await hotelAgent(data);
    assert.is(profileRows(a).length, 1, "a restart in the same profile is not a change");
    await a.stop();
    a = await startAgent({ dataDir: data });
    assert.equal(profileRows(a), [
      { from: "household", to: "hotel", config: "hotel", fleet: false },
      { from: "hotel", to: "household", config: "household", fleet: false },
    ]);
    await a.stop();
  } finally {
    dir.remove();
  }
});

H.run();
