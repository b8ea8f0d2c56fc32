#!/usr/bin/env node
// Entry point of the `spa` command. The sources are TypeScript that Node runs as they are (type
// stripping, Node >= 22.18; no transpiler, no build step). On an older Node — a development
// machine whose system `node` is 20 — it runs itself again under the Node 24 that `npm install`
// put in node_modules, or says what is missing.
import { spawn } from "node:child_process";
import * as nodeModule from "node:module";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";
import { typeScriptNode } from "./ts-runtime.mjs";

const runtime = typeScriptNode();
if (runtime.node === process.execPath) {
  // Node keeps the type-stripped, compiled modules in its compile cache ($NODE_COMPILE_CACHE, else
  // a folder in the temp dir; keyed by content, so never stale): later starts skip the stripper,
  // which saves its ~17 MB of memory and half the start-up time.
  // (A namespace import: Node 20, which only re-runs this file below, has no enableCompileCache.)
  nodeModule.enableCompileCache();
  const { main } = await import("../agent/cli.ts");
  process.exitCode = await main(process.argv.slice(2));
} else if (runtime.node === null) {
  process.stderr.write(`spa: ${runtime.why}\n`);
  process.exitCode = 1;
} else {
  const child = spawn(runtime.node, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  // The child gets the terminal's signals itself (same process group); a signal sent to this
  // process alone (systemd, kill PID) is passed on.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1)));
}
