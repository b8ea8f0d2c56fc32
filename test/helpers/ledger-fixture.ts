/** A Ledger on a real SQLite file in a temp dir, with a fake clock, plus a capture maker. */
import { join } from "node:path";
import { openAgentDb } from "../../agent/ledger/agent-db.ts";
import { Ledger } from "../../agent/ledger/ledger.ts";
import { silentLogger } from "../../agent/log.ts";
import type { Clock } from "../../agent/ports/clock.ts";

export interface LedgerFixture {
  ledger: Ledger;
  retention: { days: number; maxCaptures?: number };
  reopen(clock?: Clock): Ledger;
  close(): void;
}

export function openLedgerAt(
  dir: string,
  clock: Clock,
  retention: { days: number; maxCaptures?: number } = { days: 180 },
  purgeIntervalMs = 3_600_000,
): LedgerFixture {
  const make = (c: Clock): Ledger =>
    new Ledger(openAgentDb(join(dir, "agent.db")), c, {
      retentionDays: () => retention.days,
      purgeIntervalMs,
      auditKeepDays: 365,
      log: silentLogger,
      // Virtual time skips months at once: a daily write keeps tests fast (real agents: a minute).
      persistEveryMs: 86_400_000,
      ...(retention.maxCaptures !== undefined ? { maxCaptures: retention.maxCaptures } : {}),
    });
  const f: LedgerFixture = {
    ledger: make(clock),
    retention,
    reopen(c = clock) {
      f.ledger.stop();
      f.ledger.db.close();
      f.ledger = make(c);
      return f.ledger;
    },
    close() {
      f.ledger.stop();
      f.ledger.db.close();
    },
  };
  return f;
}

/** Stores a capture the way the voice sink does (birth = now), with `audio` or a short tone. */
export function storeCapture(
  ledger: Ledger,
  opts: {
    audio?: Int16Array;
    endReason?: string;
    upload?: { uploadId: string; envelope?: string };
    /** false: do not tell the ledger (ledger.stored()) */ notify?: boolean;
  } = {},
): number {
  const b = ledger.clock.birth(0);
  const now = ledger.wallClock.now();
  const id = ledger.captures.insert(
    {
      trigger: "talk",
      keyword: null,
      startedAt: now,
      endedAt: now + 1000,
      durationMs: 1000,
      endReason: opts.endReason ?? "talk-up",
      policyVersion: 0,
      anonymization: "mcadams-b2/1",
      capturedWall: b.wall,
      capturedUptime: b.uptime,
    },
    opts.audio ?? Int16Array.from({ length: 1600 }, (_, i) => Math.round(3000 * Math.sin(i / 5))),
    opts.upload ? { uploadId: opts.upload.uploadId, envelope: opts.upload.envelope ?? "{}", at: now } : null,
  );
  if (opts.notify !== false) ledger.stored();
  return id;
}
