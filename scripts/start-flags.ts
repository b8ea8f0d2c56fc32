import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");

/** The Node flags `npm start` gives the agent (package.json): the bench runs the agent with them, and the systemd unit must use the same. */
export function startFlags(): string[] {
  const start = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
  return /^node((?:\s+--[\w-]+(?:=\S+)?)*)\s+bin\/spa\.mjs/.exec(start)?.[1]!.trim().split(/\s+/).filter(Boolean) ?? [];
}
