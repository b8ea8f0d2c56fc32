#!/usr/bin/env node
// Runs every test/**/*.test.ts file in its own Node process (uvu suites; Node strips the types
// itself: the Node 24 from node_modules when this one is older), two at a time, each with a time limit, and ends with the line "N passed, M failed".
// Exits non-zero when anything failed or when no test ran at all.
// Usage: node scripts/run-tests.mjs [substring-filter...]
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { typeScriptNode } from "../bin/ts-runtime.mjs";

const root = new URL("..", import.meta.url).pathname;
const runtime = typeScriptNode();
if (!runtime.node) {
  process.stdout.write(`${runtime.why}\n0 passed, 1 failed\n`);
  process.exit(1);
}
const filters = process.argv.slice(2);
const PER_FILE_TIMEOUT_MS = Number(process.env.SPA_TEST_TIMEOUT_MS ?? 600_000);
const CONCURRENCY = Number(process.env.SPA_TEST_JOBS ?? 2);

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === "node_modules" ? [] : find(p);
    return p.endsWith(".test.ts") ? [p] : [];
  });
}

const files = find(join(root, "test"))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(runtime.node, ["--import", "./test/helpers/property-seed.ts", file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[runner] ${file} exceeded ${PER_FILE_TIMEOUT_MS} ms; killed\n`;
      child.kill("SIGKILL");
    }, PER_FILE_TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      const text = strip(out);
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? 0);
      const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? 0);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
      // A file that crashed or printed no summary counts as one failure.
      const broken = code !== 0 && total === passed;
      const failed = total - passed - skipped + (broken ? 1 : 0);
      resolve({ file, code, passed, failed, skipped, text, ms: Date.now() - started });
    });
  });
}

const results = [];
let next = 0;
async function worker() {
  while (next < files.length) {
    const file = files[next++];
    const r = await runFile(file);
    results.push(r);
    const mark = r.failed ? "FAIL" : "ok  ";
    process.stdout.write(`${mark} ${r.file}  (${r.passed} passed${r.failed ? `, ${r.failed} failed` : ""}, ${(r.ms / 1000).toFixed(1)} s)\n`);
    if (r.failed)
      process.stdout.write(
        r.text
          .split("\n")
          .map((l) => "     " + l)
          .join("\n") + "\n",
      );
  }
}
await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));

const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
if (passed + failed === 0) {
  process.stdout.write("no tests ran\n0 passed, 1 failed\n");
  process.exit(1);
}
process.stdout.write(`\n${files.length} files\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
process.exit(failed ? 1 : 0);
