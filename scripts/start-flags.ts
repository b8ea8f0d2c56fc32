import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");

const START = /^((?:[A-Z_]+=\S+\s+)*)node((?:\s+--[\w-]+(?:=\S+)?)*)\s+bin\/spa\.mjs/;

function startScript(): RegExpExecArray | null {
  return START.exec((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start);
}

/** The Node flags `npm start` gives the agent (package.json): the bench runs the agent with them, and the systemd unit must use the same. */
export function startFlags(): string[] {
  return startScript()?.[2]!.trim().split(/\s+/).filter(Boolean) ?? [];
}

/**
 * The environment `npm start` sets for the agent (the glibc allocator settings before `node`),
 * as NAME → value: the bench and the systemd unit use the same.
 */
export function startEnv(): Record<string, string> {
  const vars = startScript()?.[1]!.trim().split(/\s+/).filter(Boolean) ?? [];
  return Object.fromEntries(vars.map((v) => [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)]));
}
