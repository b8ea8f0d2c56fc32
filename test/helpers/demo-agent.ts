/**
 * The demo agent (`spa start` on config/default.json) as a child process in a scratch directory:
 * its arguments, and an environment without the caller's SPA_* variables (the agent refuses ones
 * it does not know, and benchmarks and tests have their own).
 */
import { join } from "node:path";

export function demoAgentArgs(dir: string, sets: Record<string, string> = {}): string[] {
  const all = { dataDir: join(dir, "data"), "bridge.socketPath": join(dir, "bridge.sock"), "status.enabled": "false", ...sets };
  return ["bin/spa.mjs", "start", "--config", "config/default.json", ...Object.entries(all).flatMap(([k, v]) => ["--set", `${k}=${v}`])];
}

export function envWithoutSpa(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SPA_"))), ...extra };
}
