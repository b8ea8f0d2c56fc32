/**
 * CLI latency: each command run as a real child process (`node bin/spa.mjs …`), wall time from
 * spawn to exit, median of N runs, beside `node -e 0` measured in the same loop (interleaved, so
 * a load spike hits both). The bridge commands talk to a real agent started here on the demo
 * recording, in a scratch data directory.
 */
import { demoAgentArgs, envWithoutSpa } from "../../test/helpers/demo-agent.ts";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { HELP, LEDGER_HELP, POLICY_HELP } from "../../agent/cli-help.ts";
import { median } from "./stats.ts";

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");

export interface CliRow {
  command: string;
  medianMs: number;
  maxMs: number;
  /** Whether the command is one the 300 ms target applies to (help texts and bridge events). */
  targeted: boolean;
}

export interface CliBench {
  runs: number;
  nodeMs: number;
  rows: CliRow[];
}

function timed(args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr.trim().slice(0, 300)}`);
  return ms;
}

export async function cliBench(runs = 10): Promise<CliBench> {
  const dir = mkdtempSync(join(tmpdir(), "spa-bench-cli-"));
  const socket = join(dir, "bridge.sock");
  const env = envWithoutSpa();
  const agent = spawn(process.execPath, demoAgentArgs(dir, { "bridge.socketPath": socket, "simulator.enabled": "false" }), {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    await new Promise<void>((ok, fail) => {
      let out = "";
      agent.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("bridge: listening")) ok();
      });
      agent.on("exit", (code) => fail(new Error(`the agent exited (${code}) before its bridge listened: ${out.slice(-500)}`)));
    });
    const commands: Array<{ args: string[]; targeted: boolean }> = [
      { args: ["--help"], targeted: true },
      ...[...Object.keys(HELP), ...Object.keys(LEDGER_HELP), ...Object.keys(POLICY_HELP)]
        .filter((c) => c !== "main")
        .map((c) => ({ args: [c, "--help"], targeted: true })),
      { args: ["bridge", "status", "--socket", socket], targeted: true },
      { args: ["bridge", "mute", "--socket", socket], targeted: true },
      { args: ["bridge", "unmute", "--socket", socket], targeted: true },
      { args: ["bridge", "status", "--config", "config/default.json"], targeted: true },
      { args: ["config", "check", "config/default.json"], targeted: false },
      { args: ["history", "--config", "config/default.json"], targeted: false },
    ];
    // Commands given --config find the socket and the ledger from it; the environment points both
    // at this agent's scratch directory (as SPA_* overrides do on a device).
    const envFor = (args: string[]): NodeJS.ProcessEnv =>
      args.includes("--config") ? { ...env, SPA_BRIDGE_SOCKET_PATH: socket, SPA_DATA_DIR: join(dir, "data") } : env;
    const times = new Map<number, number[]>(commands.map((_, i) => [i, []]));
    const node: number[] = [];
    for (let r = 0; r < runs; r++) {
      node.push(timed(["-e", "0"], env));
      commands.forEach((c, i) => times.get(i)!.push(timed(["bin/spa.mjs", ...c.args], envFor(c.args))));
    }
    return {
      runs,
      nodeMs: median(node),
      rows: commands.map((c, i) => ({
        command: `spa ${c.args.map((a) => (a === socket ? "SOCKET" : a)).join(" ")}`,
        medianMs: median(times.get(i)!),
        maxMs: Math.max(...times.get(i)!),
        targeted: c.targeted,
      })),
    };
  } finally {
    agent.kill("SIGTERM");
    await new Promise((r) => (agent.exitCode !== null ? r(null) : agent.on("exit", r)));
    rmSync(dir, { recursive: true, force: true });
  }
}
