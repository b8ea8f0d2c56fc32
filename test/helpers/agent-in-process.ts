/** Starts the real Agent in this process on a temp data dir and socket (no mic, no simulator). */
import { join } from "node:path";
import { parseConfig } from "../../config/load.ts";
import type { Config } from "../../config/schema.ts";
import { silentLogger } from "../../agent/log.ts";
import { Agent, type AgentIo } from "../../agent/main.ts";
import { tempDir } from "./tmp.ts";

export interface InProcessAgent {
  agent: Agent;
  config: Config;
  socketPath: string;
  dir: string;
  out: string[];
  stop(): Promise<void>;
}

export async function startAgent(overrides: Record<string, unknown> = {}, io: Partial<AgentIo> = {}): Promise<InProcessAgent> {
  const dir = tempDir("spa-agent-");
  const config = parseConfig({
    dataDir: join(dir.path, "data"),
    audio: { source: "file", file: "test/fixtures/audio/speech-16k.wav", pacing: "realtime", loop: true },
    bridge: { socketPath: join(dir.path, "run", "bridge.sock"), ...(overrides.bridge as Record<string, unknown> | undefined) },
    status: { enabled: false },
    // Bridge tests want a gate that only changes when they say so: no wake engine by default.
    wake: { engine: "none" },
    // Uploads go to the test's own directory, never the working tree.
    // No send delay or deletion gaps: tests wait for uploads as events.
    upload: { kind: "outbox", outboxDir: join(dir.path, "outbox"), sendDelayMaxSeconds: 0, deletionGapMaxSeconds: 0 },
    ...Object.fromEntries(Object.entries(overrides).filter(([k]) => k !== "bridge")),
  });
  const out: string[] = [];
  const agent = new Agent(config, { log: silentLogger, out: (l) => out.push(l), env: process.env, ...io });
  await agent.start();
  return {
    agent,
    config,
    socketPath: config.bridge.socketPath,
    dir: dir.path,
    out,
    stop: async () => {
      await agent.stop();
      dir.remove();
    },
  };
}
