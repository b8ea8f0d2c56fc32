/**
 * Mute latency with the real agent process and the real arecord (through an ALSA file plugin
 * fed by a paced FIFO): from the moment the mute message is written to the bridge socket until
 * the recorder process is gone (reaped), over many trials; and how many frames the gate
 * accepted after it processed the mute (must be 0).
 */
import { stateData } from "../../firmware-bridge/protocol/messages.ts";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pidAlive } from "../../agent/audio/mic-source.ts";
import { FakeFirmware } from "../../firmware-bridge/sim/fake-firmware.ts";
import { createFakeMic } from "../../test/helpers/fake-mic.ts";
import { tempDir, until } from "../../test/helpers/tmp.ts";

export interface MuteLatencyResult {
  trials: number;
  exitMs: number[];
  ackMs: number[];
  acceptedAfterMute: number;
  lateFramesDropped: number;
}

const counters = async (fw: FakeFirmware): Promise<{ framesAccepted: number; framesDropped: number; micPid: number | null }> => {
  const r = await fw.request({ type: "get-state" });
  if (r.type !== "ack") throw new Error(`get-state refused: ${r.code}`);
  const d = stateData(r.data);
  if (!d) throw new Error("get-state answered without the counters");
  return { framesAccepted: d.counters.framesAccepted ?? 0, framesDropped: d.counters.framesDropped ?? 0, micPid: d.micPid };
};

export async function muteLatency(trials: number): Promise<MuteLatencyResult> {
  const dir = tempDir("spa-bench-");
  const mic = createFakeMic();
  mic.feed(Int16Array.from({ length: 16000 }, (_, i) => Math.round(3000 * Math.sin(i / 9))));
  const socketPath = join(dir.path, "run", "bridge.sock");
  mkdirSync(join(dir.path, "run"));
  const config = join(dir.path, "config.json");
  writeFileSync(
    config,
    JSON.stringify({
      mode: "near",
      dataDir: join(dir.path, "data"),
      audio: { source: "mic", device: mic.device },
      gate: { maxHoldSeconds: 300, maxSessionSeconds: 120 },
      bridge: { socketPath },
      status: { enabled: false },
      log: { level: "warn" },
    }),
  );
  const agent = spawn(process.execPath, ["bin/spa.mjs", "start", "--config", config], { env: mic.env, stdio: ["ignore", "ignore", "inherit"] });
  const result: MuteLatencyResult = { trials, exitMs: [], ackMs: [], acceptedAfterMute: 0, lateFramesDropped: 0 };
  try {
    await until(() => existsSync(socketPath), 20_000, "the agent's socket");
    const fw = await FakeFirmware.start({ socketPath, ackDelayMs: 1 });
    for (let t = 0; t < trials; t++) {
      await fw.talk("down");
      let pid: number | null = null;
      let accepted0 = 0;
      await until(
        async () => {
          const c = await counters(fw);
          pid = c.micPid;
          if (accepted0 === 0) accepted0 = c.framesAccepted || -1;
          return pid !== null && c.framesAccepted > Math.max(accepted0, 0) + 3;
        },
        10_000,
        "audio flowing into the session",
      );
      const t0 = performance.now();
      const ack = fw.mute();
      let ackAt = 0;
      void ack.then(() => (ackAt = performance.now()));
      while (pidAlive(pid!)) await new Promise((r) => setImmediate(r));
      const exitAt = performance.now();
      const reply = await ack;
      if (reply.type !== "ack") throw new Error(`mute refused: ${reply.code}`);
      const atMute = { framesAccepted: stateData(reply.data)?.counters.framesAccepted ?? 0, framesDropped: stateData(reply.data)?.counters.framesDropped ?? 0 };
      const after = await counters(fw);
      result.exitMs.push(exitAt - t0);
      result.ackMs.push((ackAt || performance.now()) - t0);
      result.acceptedAfterMute += after.framesAccepted - atMute.framesAccepted;
      result.lateFramesDropped += after.framesDropped - atMute.framesDropped;
      if (after.micPid !== null) throw new Error("the agent still reports a recorder after mute");
      await fw.unmute();
    }
    fw.stop();
  } finally {
    agent.kill("SIGTERM");
    await new Promise((r) => agent.once("exit", r));
    mic.stop();
    dir.remove();
  }
  return result;
}
