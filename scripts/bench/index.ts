/**
 * `npm run bench [-- cli|mute|voice|ledger|policy|agent|wake|wake-human|commands] [--model FILE] [--human-speaker 3|5] [--corpus DIR]`:
 * the benchmarks, printed as tables. These are measurements on a
 * shared, noisy machine, not pass/fail tests; the "target" column says how a number compares
 * with the target in DESIGN.md. SPA_BENCH_TRIALS sets the number of mute trials (default 60);
 * SPA_BENCH_WAKE_SCALE the size of the wake evaluation set (default 2), SPA_BENCH_WAKE_EVERYDAY_MIN
 * the minutes of extra held-out conversation it adds (default 120), SPA_BENCH_HOUSEHOLDS
 * how many held-out voices enroll templates for the second-stage comparison (default 6),
 * SPA_BENCH_AGENT_S how long the agent runs for its memory measurement (default 60),
 * SPA_BENCH_HUMAN_PERSONS and SPA_BENCH_HUMAN_EVERYDAY_MIN the human speaker's set (default 12
 * people per keyword, 60 minutes of everyday speech). --corpus scores a vendor's recordings
 * (scripts/train-wake/recordings.ts) with the human table instead of the built-in sets.
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { muteLatency } from "./mute-latency.ts";
import { cliBench } from "./cli.ts";
import { agentMemoryBench } from "./agent-memory.ts";
import { ledgerBench } from "./ledger.ts";
import { policyBench } from "./policy.ts";
import { quantile } from "./stats.ts";
import { voiceBench } from "./voice.ts";
import { corpusBench, wakeBench } from "./wake.ts";
import { commandsBench } from "./commands.ts";
import type { Report } from "../train-wake/evaluate.ts";

const SECTIONS = ["cli", "mute", "voice", "ledger", "policy", "agent", "wake", "wake-human", "commands"] as const;
const USAGE = `usage: npm run bench -- [${SECTIONS.join("|")}]... [--model FILE] [--human-speaker 3|5] [--corpus DIR]
  With no section, every section runs. Environment: SPA_BENCH_CLI_RUNS, SPA_BENCH_TRIALS,
  SPA_BENCH_LEDGER_CAPTURES, SPA_BENCH_DEVICES, SPA_BENCH_AGENT_S, SPA_BENCH_WAKE_SCALE, SPA_BENCH_COMMAND_MODEL,
  SPA_BENCH_WAKE_EVERYDAY_MIN, SPA_BENCH_HOUSEHOLDS, SPA_BENCH_HUMAN_PERSONS,
  SPA_BENCH_HUMAN_EVERYDAY_MIN (see docs/development.md).`;

/** Every argument problem in one style: "bench: what is wrong", the usage, exit 1. */
function refuse(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`);
  process.exit(1);
}

const { values: opts, positionals: sections } = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: { model: { type: "string" }, "human-speaker": { type: "string" }, corpus: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (e) {
    return refuse((e as Error).message.split(". ")[0]!);
  }
})();
if (opts.help) {
  process.stdout.write(USAGE + "\n");
  process.exit(0);
}
const unknown = sections.filter((s) => !(SECTIONS as readonly string[]).includes(s));
if (unknown.length) refuse(`unknown section${unknown.length > 1 ? "s" : ""} ${unknown.map((s) => `'${s}'`).join(", ")}`);
const humanSpeaker = opts["human-speaker"];
if (humanSpeaker !== undefined && humanSpeaker !== "3" && humanSpeaker !== "5") refuse(`--human-speaker must be 3 or 5, got "${humanSpeaker}"`);
const want = (s: string): boolean => sections.length === 0 || sections.includes(s);

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [line(head), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...rows.map(line)].join("\n") + "\n";
}

const f = (x: number): string => x.toFixed(1);

process.stdout.write(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, node ${process.version}\n`);
let failed = false;

if (want("cli")) {
  const runs = Number(process.env.SPA_BENCH_CLI_RUNS ?? 10);
  process.stdout.write(`\nCLI latency: each command ${runs} times as a child process, beside node -e 0 in the same loop...\n\n`);
  const c = await cliBench(runs);
  process.stdout.write(
    table(
      ["command", "median (ms)", "max (ms)", "× node -e 0", "target", "result"],
      [
        ["node -e 0", f(c.nodeMs), "", "1.0", "", ""],
        ...c.rows.map((r) => [
          r.command,
          f(r.medianMs),
          f(r.maxMs),
          (r.medianMs / c.nodeMs).toFixed(1),
          r.targeted ? "<= 300" : "",
          r.targeted ? (r.medianMs <= 300 ? "met" : "MISSED") : "",
        ]),
      ],
    ),
  );
}

if (want("mute")) {
  const trials = Number(process.env.SPA_BENCH_TRIALS ?? 60);
  process.stdout.write(`\nmute latency: ${trials} trials with the real arecord...\n\n`);
  const m = await muteLatency(trials);
  const rows: string[][] = [
    [
      "mute written → recorder gone (ms)",
      f(quantile(m.exitMs, 0.5)),
      f(quantile(m.exitMs, 0.95)),
      f(Math.max(...m.exitMs)),
      "< 50 median",
      quantile(m.exitMs, 0.5) < 50 ? "met" : "MISSED",
    ],
    ["mute written → ack received (ms)", f(quantile(m.ackMs, 0.5)), f(quantile(m.ackMs, 0.95)), f(Math.max(...m.ackMs)), "", ""],
    ["frames accepted after mute processed", String(m.acceptedAfterMute), "", "", "0", m.acceptedAfterMute === 0 ? "met" : "MISSED"],
    ["late frames dropped while closing", String(m.lateFramesDropped), "", "", "", ""],
  ];
  process.stdout.write(table(["measure", "median / total", "p95", "max", "target", "result"], rows));
  failed ||= m.acceptedAfterMute !== 0;
}

if (want("voice")) {
  process.stdout.write(`\nvoice modification (McAdams B2) over the demo recording...\n\n`);
  const v = await voiceBench();
  process.stdout.write(
    table(
      ["measure", "value", "target", "result"],
      [
        [`real-time factor, median of 5 runs (${v.seconds.toFixed(1)} s of audio, one core)`, v.rtf.toFixed(4), "<= 0.01", v.rtf <= 0.01 ? "met" : "MISSED"],
        ["real-time factor, slowest run", v.rtfWorst.toFixed(4), "", ""],
        ["frames muted (root finder did not converge)", String(v.mutedFrames), "0", v.mutedFrames === 0 ? "met" : "MISSED"],
        ["longest event-loop stall modifying a 30 s capture (ms)", v.stallMs.toFixed(1), "", ""],
        ...v.pipelineMs.map((p) => [`session end → upload queued, ${p.seconds} s session (ms, median of 5)`, p.ms.toFixed(1), "", ""]),
      ],
    ),
  );
}

if (want("ledger")) {
  const n = Number(process.env.SPA_BENCH_LEDGER_CAPTURES ?? 100_000);
  process.stdout.write(`\nledger: ${n} captures stored, then all expired and purged...\n\n`);
  const l = ledgerBench(n);
  process.stdout.write(
    table(
      ["measure", "value", "target", "result"],
      [
        [`insert ${l.captures} captures, encrypted, 1,000 per transaction (s)`, l.insertS.toFixed(2), "", ""],
        [`purge all ${l.captures} (one transaction + checkpoint + incremental vacuum) (s)`, l.purgeS.toFixed(2), "<= 2", l.purgeS <= 2 ? "met" : "MISSED"],
        ["file size: empty ledger (KiB)", l.emptyKb.toFixed(0), "", ""],
        ["file size: full (KiB)", l.fullKb.toFixed(0), "", ""],
        ["file size: after the purge (KiB)", l.afterKb.toFixed(0), "near empty", l.afterKb <= l.emptyKb * 4 + 64 ? "met" : "MISSED"],
      ],
    ),
  );
}

if (want("policy")) {
  const n = Number(process.env.SPA_BENCH_DEVICES ?? 200);
  process.stdout.write(`\nfleet fan-out: ${n} simulated devices on one local mosquitto, one signed fleet policy...\n\n`);
  const p = await policyBench(n);
  process.stdout.write(
    table(
      ["measure", "value", "target", "result"],
      [
        [`devices that reported the policy applied`, `${p.applied} / ${p.devices}`, "all", p.applied === p.devices ? "met" : "MISSED"],
        ["publish → applied and reported, median (ms)", p.medianMs.toFixed(0), "", ""],
        ["publish → applied and reported, slowest device (ms)", p.maxMs.toFixed(0), "<= 2000", p.maxMs <= 2000 && p.applied === p.devices ? "met" : "MISSED"],
        ["memory per device's policy client (KiB, heap + external)", p.perDeviceKb.toFixed(1), "", ""],
      ],
    ),
  );
  failed ||= p.applied !== p.devices;
}

if (want("agent")) {
  const seconds = Number(process.env.SPA_BENCH_AGENT_S ?? 60);
  process.stdout.write(`\nagent memory: npm start's agent on the demo recording for ${seconds} s, sampled from /proc...\n\n`);
  const a = await agentMemoryBench(seconds);
  process.stdout.write(
    table(
      ["measure", "value", "target", "result"],
      [
        ["agent resident set, steady (MB, median after start-up)", f(a.steadyMb), "<= 80", a.steadyMb <= 80 ? "met" : "MISSED"],
        ["agent resident set, peak (MB, VmHWM)", f(a.peakMb), "", ""],
        ["  of the steady set: the Node binary's own pages (file-backed, shared, reclaimable) (MB)", f(a.parts.nodeBinaryMb), "", ""],
        [
          "    of the binary's pages: its code (.text: V8's interpreter, compilers and WebAssembly tiers, Node, OpenSSL, SQLite) (MB)",
          f(a.parts.binaryCodeMb),
          "",
          "",
        ],
        [
          "    of the binary's pages: its read-only data (.rodata: built-in modules' sources and code cache, V8 snapshot, ICU) (MB)",
          f(a.parts.binaryDataMb),
          "",
          "",
        ],
        ["  of the steady set: the agent's anonymous memory (V8 heap, WebAssembly, malloc) (MB)", f(a.parts.anonymousMb), "", ""],
        ["  of the steady set: other files (libraries, agent.db's shared memory) (MB)", f(a.parts.otherFilesMb), "", ""],
        ["for scale: bare Node (MB)", f(a.bareNodeMb), "", ""],
        ["for scale: bare Node's binary pages: code / read-only data (MB)", `${f(a.bareParts.binaryCodeMb)} / ${f(a.bareParts.binaryDataMb)}`, "", ""],
        ["for scale: Node running a TypeScript file (type stripper loaded), nothing else (MB)", f(a.typeStripMb), "", ""],
        ["for scale: Node + the speech front end (WebAssembly, weights and one stream) (MB)", f(a.frontEndMb), "", ""],
        ["for scale: the same agent with the wake engine off (wake.engine none) (MB)", f(a.noWakeMb), "", ""],
        ["for comparison: Node + onnxruntime-node with the two embedding sessions, which the agent no longer loads (MB)", f(a.embeddingSessionsMb), "", ""],
      ],
    ),
  );
}

if (opts.corpus) {
  // A vendor's recordings: only their table (the synthetic and human sets are the other sections' work).
  process.stdout.write(`\nwake word on the corpus ${opts.corpus}: scoring...\n\n`);
  const c = await corpusBench(opts.corpus, opts.model);
  process.stdout.write(
    `model: ${c.model}; speakers scored: ${c.speakers.join(", ")}${c.skipped.length ? `; left out (the model trained or validated on them): ${c.skipped.join(", ")}` : ""}; ${c.scenes} scenes\n`,
  );
  printHeldOut(c.report, "as recorded");
} else if (want("wake") || want("wake-human")) {
  // "wake-human": only the human speaker's table (and the engine's speed), without the synthetic sets.
  const synthetic = want("wake");
  const scale = Number(process.env.SPA_BENCH_WAKE_SCALE ?? 2);
  process.stdout.write(
    `\nwake word: building the held-out evaluation sets${synthetic ? ` (synthetic scale ${scale})` : " (human only)"} and scoring them...\n\n`,
  );
  const households = Number(process.env.SPA_BENCH_HOUSEHOLDS ?? 6);
  const everydayMinutes = Number(process.env.SPA_BENCH_WAKE_EVERYDAY_MIN ?? 120);
  const w = await wakeBench(scale, households, everydayMinutes, {
    ...(opts.model ? { model: opts.model } : {}),
    ...(humanSpeaker ? { humanSpeaker } : {}),
    humanPersons: Number(process.env.SPA_BENCH_HUMAN_PERSONS ?? 12),
    humanEverydayMinutes: Number(process.env.SPA_BENCH_HUMAN_EVERYDAY_MIN ?? 60),
    synthetic,
  });
  process.stdout.write(`model: ${w.model.path}; human voice trained on: ${w.model.humanTrainedOn ?? "none (synthetic speech only)"}\n`);
  process.stdout.write(
    table(
      ["measure", "value", "target", "result"],
      [
        ["real-time factor (one core)", w.rtf.toFixed(4), "<= 0.05", w.rtf <= 0.05 ? "met" : "MISSED"],
        ["engine resident memory (MB)", w.rssMb.toFixed(1), "", ""],
      ],
    ),
  );
  if (w.synthetic) printSynthetic(w.synthetic);
  if (w.human) {
    process.stdout.write(
      `\nwake word on a HUMAN speaker never trained on: ${w.human.licence}; ${w.human.scenes} scenes (phrases joined from recorded syllables, many made-up people by pitch and vocal-tract scaling)\n\n`,
    );
    printHeldOut(w.human.report, "in quiet");
  }
}

/** The synthetic sets: held-out espeak-ng voices and sentences, and templates as a second stage. */
function printSynthetic(w: NonNullable<Awaited<ReturnType<typeof wakeBench>>["synthetic"]>): void {
  const r = w.report;
  const hours = r.negativeHours;
  const rows: string[][] = [
    ...Object.entries(r.detection).map(([k, v]) => [`detection: ${k} (%)`, String(v), ">= 95", v >= 95 ? "met" : "MISSED"]),
    ...Object.entries(r.byCondition).map(([c, v]) => [`detection in ${c} (%)`, String(v), "", ""]),
    ["wrong-keyword detections", String(r.wrongKeyword), "0", r.wrongKeyword === 0 ? "met" : "MISSED"],
    [`false wakes per hour (${r.falseWakes} in ${(hours * 60).toFixed(1)} min)`, String(r.falseWakesPerHour), "", ""],
    [
      `  of which on everyday audio (${(r.everydayHours * 60).toFixed(1)} min: sentences, conversations, English, noise, music)`,
      String(r.everydayFalseWakesPerHour),
      "<= 0.5",
      r.everydayFalseWakesPerHour <= 0.5 ? "met" : "MISSED",
    ],
    [
      `false wakes on near-miss phrases (all; of which one-syllable substitutions never trained on)`,
      `${r.nearMissFalseWakes} / ${r.nearMissScenes}; ${r.substitutionFalseWakes} / ${r.substitutionScenes}`,
      "",
      "",
    ],
  ];
  const ss = w.secondStage;
  const det = (r: typeof ss.trained): number => {
    const v = Object.values(r.detection);
    return v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  };
  const drop = det(ss.trained) - det(ss.twoStage);
  rows.push(
    [`households with templates (one held-out voice each)`, String(ss.households), "", ""],
    [`  trained alone: detection (%) / false wakes per hour`, `${det(ss.trained).toFixed(1)} / ${ss.trained.falseWakesPerHour}`, "", ""],
    [
      `  + templates as second stage`,
      `${det(ss.twoStage).toFixed(1)} / ${ss.twoStage.falseWakesPerHour}`,
      "fewer false wakes, <= 2 pt detection",
      ss.twoStage.falseWakesPerHour <= ss.trained.falseWakesPerHour && drop <= 2 ? "met" : "MISSED",
    ],
    ...ss.looser.map((l) => [`  + templates, thresholds × ${l.factor}`, `${det(l.report).toFixed(1)} / ${l.report.falseWakesPerHour}`, "", ""]),
  );
  process.stdout.write(`\nSYNTHETIC voices (espeak-ng) held out of training: ${w.scenes} scenes\n`);
  process.stdout.write(table(["measure", "value", "target", "result"], rows));
  const worst = Object.entries(r.falseWakeTexts).slice(0, 15);
  process.stdout.write(`\nfalse wakes by text, worst first: ${worst.map(([t, n]) => `${t.length > 16 ? `${t.slice(0, 16)}…` : t} ${n}`).join(", ")}\n`);
  printNearMisses(r);
}

/**
 * Detection per noise level and condition, false wakes on everyday speech and near-misses per
 * phrase, for a speaker set the model never trained on (the human speaker, a vendor's corpus).
 */
function printHeldOut(r: Report, quiet: string): void {
  const level = (k: string): number => r.bySnr[k] ?? NaN;
  const rows: string[][] = [
    ...Object.entries(r.detection).map(([k, v]) => [`detection: ${k} (%)`, String(v), "", ""]),
    [`detection ${quiet} (%)`, String(level("quiet")), ">= 95", level("quiet") >= 95 ? "met" : "MISSED"],
    ["detection at 15 dB SNR (%)", String(level("15 dB")), "", ""],
    ["detection at 10 dB SNR (%)", String(level("10 dB")), ">= 85", level("10 dB") >= 85 ? "met" : "MISSED"],
    ["detection at 5 dB SNR (%)", String(level("5 dB")), "", ""],
    ...Object.entries(r.byCondition).map(([c, v]) => [`  ${c === "clean" ? quiet : `in ${c}`} (%)`, String(v), "", ""]),
    ["wrong-keyword detections", String(r.wrongKeyword), "0", r.wrongKeyword === 0 ? "met" : "MISSED"],
    [
      `false wakes per hour on everyday speech (${r.falseWakes - r.nearMissFalseWakes} in ${(r.everydayHours * 60).toFixed(1)} min)`,
      String(r.everydayFalseWakesPerHour),
      "<= 1",
      r.everydayFalseWakesPerHour <= 1 ? "met" : "MISSED",
    ],
  ];
  if (r.nearMissScenes)
    rows.push([
      `near-miss scenes that woke (listed phrases and one-syllable substitutions)`,
      `${Object.values(r.nearMissByPhrase).reduce((a, [w]) => a + w, 0)} / ${r.nearMissScenes}`,
      "",
      "",
    ]);
  process.stdout.write(table(["measure", "value", "target", "result"], rows));
  if (r.nearMissScenes) printNearMisses(r);
}

if (want("commands")) {
  process.stdout.write(
    `\nhotel commands: the recogniser on voices it never trained on (${process.env.SPA_BENCH_COMMAND_MODEL || "agent/hotel/models/commands.json"})...\n\n`,
  );
  const c = await commandsBench();
  const rows = c.rows.flatMap((r) => {
    const quiet = r.set.endsWith("quiet");
    return [
      [`${r.set}: top-1 (% of ${r.commands} commands)`, f(r.top1), quiet ? ">= 90" : "", quiet ? (r.top1 >= 90 ? "met" : "MISSED") : ""],
      [`${r.set}: everyday speech forwarded (% of ${r.everyday})`, f(r.everydayForwarded), "<= 1", r.everydayForwarded <= 1 ? "met" : "MISSED"],
      [`${r.set}: near-miss requests forwarded (% of ${r.nearMisses})`, f(r.nearMissForwarded), "<= 1", r.nearMissForwarded <= 1 ? "met" : "MISSED"],
    ];
  });
  rows.push([`real-time factor, a 3 s session (front end and classifier, one core); threshold ${c.threshold}`, c.rtf.toFixed(4), "", ""]);
  process.stdout.write(table(["measure", "value", "target", "result"], rows));
  process.stdout.write(`\ntop-1 per command (%), quiet:\n\n`);
  const quiet = c.rows.filter((r) => r.set.endsWith("quiet"));
  const ids = Object.keys(quiet[0]?.perCommand ?? {});
  process.stdout.write(
    table(
      ["command", ...quiet.map((r) => r.set.replace(/, quiet$/, ""))],
      ids.map((id) => [id, ...quiet.map((r) => f(r.perCommand[id]!))]),
    ),
  );
}

function printNearMisses(r: Report): void {
  const woke = Object.entries(r.nearMissByPhrase)
    .filter(([, [w]]) => w > 0)
    .sort((a, b) => b[1][0] - a[1][0]);
  process.stdout.write(
    `\nnear-miss phrases that woke it (scenes woken / said; ${woke.length} of ${Object.keys(r.nearMissByPhrase).length} phrases): ${woke.length ? woke.map(([t, [w, n]]) => `${t} ${w}/${n}`).join(", ") : "none"}\n`,
  );
}
process.exitCode = failed ? 1 : 0;
