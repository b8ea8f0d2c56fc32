/**
 * The live, human-readable status on stdout: one line per gate change, plus a heartbeat while
 * capturing (frames, speech). Counts only; no audio, no identifiers.
 */
import type { GateCounters, GateDriver } from "./capture/gate.driver.ts";
import type { GateSnapshot } from "./capture/gate.machine.ts";
import type { StorageReport } from "./ledger/storage-health.ts";

export interface StatusExtras {
  kept: number;
  clients: number;
  micPid: number | undefined;
  storage?: StorageReport;
}

export function formatStatus(s: GateSnapshot, c: GateCounters, x: StatusExtras, now: Date): string {
  const time = now.toTimeString().slice(0, 8);
  let state: string = s.state;
  if (s.muted) state = `MUTED by ${s.mutedBy}${s.muteUntil ? ` until ${new Date(s.muteUntil).toTimeString().slice(0, 8)}` : ""}`;
  if (s.state === "capturing") state = `CAPTURING (${s.trigger})`;
  if (s.state === "failed") state = `FAILED (${s.failReason})`;
  const mic = s.micOpen ? `open${x.micPid ? ` pid ${x.micPid}` : ""}` : "closed";
  const speech = c.framesAccepted ? Math.round((100 * c.speechFrames) / Math.max(1, c.framesAccepted)) : 0;
  return (
    `[${time}] ${state.padEnd(22)} mode=${s.mode} mic=${mic} led=${s.led} firmware=${x.clients}` +
    ` | frames in ${c.framesIn}, kept ${c.framesAccepted} (speech ${speech}%)` +
    ` | sessions kept ${c.sessionsKept}, discarded ${c.sessionsDiscarded}, false wakes ${c.falseWakes} | ledger ${x.kept} captures` +
    (x.storage && !x.storage.ok
      ? ` | STORAGE FAILING (${Object.entries(x.storage.failing)
          .map(([part, code]) => `${part}: ${code}`)
          .join(", ")}${x.storage.pendingAudit ? `; ${x.storage.pendingAudit} privacy events held in memory` : ""})`
      : "")
  );
}

export class StatusPrinter {
  #timer: NodeJS.Timeout | null = null;
  readonly driver: GateDriver;
  readonly extras: () => StatusExtras;
  readonly out: (line: string) => void;
  readonly intervalMs: number;
  constructor(driver: GateDriver, extras: () => StatusExtras, out: (line: string) => void, intervalMs: number) {
    this.driver = driver;
    this.extras = extras;
    this.out = out;
    this.intervalMs = intervalMs;
  }

  start(): void {
    this.driver.onChange(() => this.print());
    this.print();
    this.#timer = setInterval(() => {
      if (this.driver.state.phase.kind === "capturing") this.print();
    }, this.intervalMs);
    this.#timer.unref();
  }

  print(): void {
    this.out(formatStatus(this.driver.snapshot(), this.driver.counters, this.extras(), new Date()));
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
