/**
 * Hotel profile on the real agent (real ledger file, real bridge socket, real outbox): a guest's
 * sessions leave nothing behind — no capture row, no session audit row, no upload, no file, no
 * raw audio anywhere — and the profile change itself is audited.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FakeFirmware } from "../../firmware-bridge/sim/fake-firmware.ts";
import { stateData } from "../../firmware-bridge/protocol/messages.ts";
import { startAgent, type InProcessAgent } from "../helpers/agent-in-process.ts";
import { probes, scanFor, writeCanaryWav } from "../helpers/canary.ts";
import { sleep, tempDir } from "../helpers/tmp.ts";

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

async function hotelAgent(dataDir?: string): Promise<InProcessAgent> {
  return startAgent({
    profile: "hotel",
    mode: "near",
    audio: { source: "file", file: canary, pacing: "realtime", loop: true },
    ...(dataDir ? { dataDir } : {}),
  });
}

const outbox = (a: InProcessAgent): string[] => (existsSync(join(a.dir, "outbox")) ? readdirSync(join(a.dir, "outbox")) : []);
const sessionRows = (a: InProcessAgent): number => a.agent.ledger!.audit.list(10_000).filter((r) => /^session-|^false-wake/.test(r.type)).length;

H(
  "property: any sequence of push-to-talk sessions in a hotel room leaves 0 capture rows, 0 session audit rows, 0 uploads, 0 files and no raw audio",
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 250, max: 900 }), { minLength: 1, maxLength: 3 }), async (lengths) => {
        const a = await hotelAgent();
        const fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
        try {
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
        } finally {
          fw.stop();
          await a.stop();
        }
      }),
      { numRuns: 3 },
    );
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
