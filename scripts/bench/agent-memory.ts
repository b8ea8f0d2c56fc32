/**
 * Agent memory benchmark: `npm start`'s agent (config/default.json: the demo recording replayed
 * in real time through VAD, wake word, gate, voice modification and ledger, with the firmware
 * simulator) run as a real child process in a scratch data directory; its resident set sampled
 * from /proc while it runs. For scale, the same run measures what parts cost on their own: bare
 * Node, Node with its type stripper loaded (how Node runs TypeScript sources not yet in its
 * compile cache), Node with the device's speech front end loaded (embedding.ts: the models'
 * weights in WebAssembly memory, one stream), the same agent with the wake engine off, and — what
 * the agent no longer loads — onnxruntime-node with the two embedding sessions.
 */
import { demoAgentArgs, envWithoutSpa } from "../../test/helpers/demo-agent.ts";
import { startEnv, startFlags } from "../start-flags.ts";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SESSION_OPTIONS } from "../../agent/wake/embedding-onnx.ts";
import { defaultModelDir } from "../../agent/wake/embedding.ts";
import { median } from "./stats.ts";
import { elfSections, readSmaps, residentBySection, type Section } from "./binary-pages.ts";

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");

export interface AgentMemoryBench {
  seconds: number;
  steadyMb: number;
  peakMb: number;
  bareNodeMb: number;
  typeStripMb: number;
  frontEndMb: number;
  noWakeMb: number;
  embeddingSessionsMb: number;
  /** The steady agent's resident set by kind, at its last sample. */
  parts: MemoryParts;
  /** Bare Node's, for scale. */
  bareParts: MemoryParts;
}

/** A resident set by kind (MB): the Node binary's pages (file-backed: shared with every Node process from the same binary, and dropped by the kernel under pressure before anything else), anonymous memory (the process's own: V8 heap, WebAssembly memory, malloc), and the rest. */
export interface MemoryParts {
  nodeBinaryMb: number;
  anonymousMb: number;
  otherFilesMb: number;
  /** Of the binary's pages: its code (.text) and its read-only data (.rodata); NaN where /proc/PID/pagemap cannot be read. */
  binaryCodeMb: number;
  binaryDataMb: number;
}

let sections: Section[] | null | undefined;
function binarySplit(pid: number): { binaryCodeMb: number; binaryDataMb: number } {
  if (sections === undefined) {
    try {
      sections = elfSections(process.execPath);
    } catch {
      sections = null;
    }
  }
  const r = sections ? residentBySection(pid, process.execPath, sections) : null;
  return { binaryCodeMb: r ? (r[".text"] ?? 0) : NaN, binaryDataMb: r ? (r[".rodata"] ?? 0) : NaN };
}

function partsOf(pid: number): MemoryParts | null {
  try {
    const parts = { nodeBinaryMb: 0, anonymousMb: 0, otherFilesMb: 0, ...binarySplit(pid) };
    for (const m of readSmaps(pid)) {
      parts.anonymousMb += m.anonymousKb / 1024;
      if (m.path === process.execPath) parts.nodeBinaryMb += m.rssKb / 1024;
      else if (m.path.startsWith("/")) parts.otherFilesMb += m.rssKb / 1024;
    }
    return parts;
  } catch {
    return null;
  }
}

/** VmRSS and VmHWM of a process, in MB. */
function memOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN);
    return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
}

/** Runs a child, samples its memory every 250 ms from `fromS` until `forS`, splits it by kind once at the end, then stops it with SIGTERM. */
async function sample(args: string[], fromS: number, forS: number): Promise<{ rss: number[]; hwm: number; parts: MemoryParts | null }> {
  // The agent refuses SPA_* variables it does not know, and the bench's own are such variables.
  // Every process gets npm start's allocator settings, so the floors compare with the agent.
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...envWithoutSpa(), ...startEnv() }, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const rss: number[] = [];
  let hwm = 0;
  const t0 = Date.now();
  let alive = true;
  void exited.then(() => (alive = false));
  while (alive && Date.now() - t0 < forS * 1000) {
    await new Promise((r) => setTimeout(r, 250));
    const m = memOf(child.pid!);
    if (!m) break;
    hwm = Math.max(hwm, m.hwm);
    if (Date.now() - t0 >= fromS * 1000) rss.push(m.rss);
  }
  if (!alive) throw new Error(`${args.join(" ")} exited early: ${err.trim()}`);
  // Once, not every sample: reading smaps and the binary's pagemap costs the sampled process time too.
  const parts = partsOf(child.pid!);
  child.kill("SIGTERM");
  await exited;
  if (rss.length === 0) throw new Error(`no memory samples of ${args.join(" ")}`);
  return { rss, hwm, parts };
}

export async function agentMemoryBench(seconds = 60): Promise<AgentMemoryBench> {
  const dir = mkdtempSync(join(tmpdir(), "spa-bench-agent-"));
  try {
    const bare = await sample(["-e", "setInterval(() => {}, 1000)"], 1, 2);
    const strip = await sample(["--input-type=module-typescript", "-e", "const keep: number = 1000; setInterval(() => {}, keep);"], 1, 2);
    // The engine's own model files and session options, in plain JavaScript (no type stripper).
    const ort = `const ort = await import("onnxruntime-node"); const dir = ${JSON.stringify(defaultModelDir())}; const o = ${JSON.stringify(SESSION_OPTIONS)};
      globalThis.s = [await ort.InferenceSession.create(dir + "/melspectrogram.onnx", o), await ort.InferenceSession.create(dir + "/embedding_model.onnx", o)];
      setInterval(() => {}, 1000);`;
    const sessions = await sample(["--input-type=module", "-e", ort], 3, 4);
    // Through a compile cache filled by a first run, as the agent's modules are after the first boot.
    const frontEndArgs = [
      "--input-type=module",
      "-e",
      `(await import("node:module")).enableCompileCache(${JSON.stringify(join(dir, "compile-cache"))});
      const { SpeechEmbedder } = await import(${JSON.stringify(new URL("../../agent/wake/embedding.ts", import.meta.url).href)});
      const e = await SpeechEmbedder.load(); globalThis.s = e.stream(() => {}, () => {}); globalThis.s.push(new Int16Array(16000));
      (await import("node:module")).flushCompileCache(); // SIGTERM ends it before Node would write the cache
      setInterval(() => {}, 1000);`,
    ];
    await sample(frontEndArgs, 0, 3);
    const frontEnd = await sample(frontEndArgs, 3, 4);
    const agentArgs = [...startFlags(), ...demoAgentArgs(dir)];
    // A first run fills Node's compile cache (as the first boot of a device does), so the measured
    // runs start without the type stripper, like every later boot.
    await sample(agentArgs, 0, 8);
    const noWake = await sample([...agentArgs, "--set", "wake.engine=none"], Math.min(10, seconds / 2), Math.min(20, seconds));
    // The first 10 s hold start-up (module loading, model loading); the rest is the steady state.
    const agent = await sample(agentArgs, Math.min(10, seconds / 2), seconds);
    return {
      seconds,
      steadyMb: median(agent.rss),
      peakMb: agent.hwm,
      bareNodeMb: median(bare.rss),
      typeStripMb: median(strip.rss),
      frontEndMb: median(frontEnd.rss),
      noWakeMb: median(noWake.rss),
      embeddingSessionsMb: median(sessions.rss),
      parts: agent.parts ?? { nodeBinaryMb: NaN, anonymousMb: NaN, otherFilesMb: NaN, binaryCodeMb: NaN, binaryDataMb: NaN },
      bareParts: bare.parts ?? { nodeBinaryMb: NaN, anonymousMb: NaN, otherFilesMb: NaN, binaryCodeMb: NaN, binaryDataMb: NaN },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
