#!/usr/bin/env node
// Entry point of the `spa` command. The sources are TypeScript that Node runs as they are (type
// stripping, Node >= 22.18; no transpiler, no build step). On an older Node — a development
// machine whose system `node` is 20 — it runs itself again under the Node 24 that `npm install`
// put in node_modules, or says what is missing.
import { spawn } from "node:child_process";
import { mkdirSync, statSync } from "node:fs";
import * as nodeModule from "node:module";
import { constants, homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { typeScriptNode } from "./ts-runtime.mjs";

/**
 * Where compiled code may be cached: $NODE_COMPILE_CACHE (the systemd unit's CacheDirectory), else
 * a folder of this user's own, mode 0700. Never a shared temp folder: code cached where another
 * user can write would run the next time (Node's default is /tmp/node-compile-cache).
 */
function compileCacheDir() {
  if (process.env.NODE_COMPILE_CACHE) return process.env.NODE_COMPILE_CACHE;
  try {
    const dir = join(homedir(), ".cache", "speaker-privacy-agent", "node-compile-cache");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    return st.uid === process.getuid?.() && (st.mode & 0o077) === 0 ? dir : null;
  } catch {
    return null;
  }
}

const runtime = typeScriptNode();
if (runtime.node === process.execPath) {
  // Node keeps the type-stripped, compiled modules in its compile cache ($NODE_COMPILE_CACHE, else
  // a folder in the temp dir; keyed by content, so never stale): later starts skip the stripper,
  // which saves its ~17 MB of memory and half the start-up time.
  // (A namespace import: Node 20, which only re-runs this file below, has no enableCompileCache.)
  const cache = compileCacheDir();
  if (cache) nodeModule.enableCompileCache(cache);
  const { main } = await import("../agent/cli.ts");
  process.exitCode = await main(process.argv.slice(2));
} else if (runtime.node === null) {
  process.stderr.write(`spa: ${runtime.why}\n`);
  process.exitCode = 1;
} else {
  // A systemd watchdog addressed to this wrapper is the child's to serve (it is the agent).
  const env = { ...process.env };
  if (env.WATCHDOG_PID === String(process.pid)) delete env.WATCHDOG_PID;
  const child = spawn(runtime.node, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit", env });
  child.on("error", (e) => {
    process.stderr.write(`spa: cannot run ${runtime.node}: ${e.message}\n`);
    process.exit(1);
  });
  // The child gets the terminal's signals itself (same process group); a signal sent to this
  // process alone (systemd, kill PID) is passed on.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1)));
}
