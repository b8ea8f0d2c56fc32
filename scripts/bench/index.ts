/**
 * `npm run bench`: the benchmarks, printed as a table. These are measurements on a shared,
 * noisy machine, not pass/fail tests; the "target" column says how a number compares with the
 * target in DESIGN.md. SPA_BENCH_TRIALS sets the number of mute trials (default 60).
 */
import { cpus } from "node:os";
import { muteLatency } from "./mute-latency.ts";

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const f = (x: number): string => x.toFixed(1);

const trials = Number(process.env.SPA_BENCH_TRIALS ?? 60);
process.stdout.write(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, node ${process.version}\n`);
process.stdout.write(`mute latency: ${trials} trials with the real arecord...\n\n`);
const m = await muteLatency(trials);
const rows: Array<[string, string, string, string, string, string]> = [
  ["mute written → recorder gone (ms)", f(quantile(m.exitMs, 0.5)), f(quantile(m.exitMs, 0.95)), f(Math.max(...m.exitMs)), "< 50 median", quantile(m.exitMs, 0.5) < 50 ? "met" : "MISSED"],
  ["mute written → ack received (ms)", f(quantile(m.ackMs, 0.5)), f(quantile(m.ackMs, 0.95)), f(Math.max(...m.ackMs)), "", ""],
  ["frames accepted after mute processed", String(m.acceptedAfterMute), "", "", "0", m.acceptedAfterMute === 0 ? "met" : "MISSED"],
  ["late frames dropped while closing", String(m.lateFramesDropped), "", "", "", ""],
];
const head = ["measure", "median / total", "p95", "max", "target", "result"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
process.stdout.write([line(head), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...rows.map(line)].join("\n") + "\n");
process.exitCode = m.acceptedAfterMute === 0 ? 0 : 1;
