/**
 * Ledger benchmark: 100,000 captures with small audio inserted through the real CaptureStore
 * (encrypted, per-capture keys; batched 1,000 to a transaction, as a busy device would not be),
 * then all expired and purged in one purge: its time, and the file size before and after (the
 * purge's checkpoint and incremental vacuum should bring it back near an empty ledger's size).
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openAgentDb } from "../../agent/ledger/agent-db.ts";
import { CaptureStore } from "../../agent/ledger/captures.ts";
import { DAY_MS } from "../../agent/ledger/retention.ts";

export interface LedgerBench {
  captures: number;
  insertS: number;
  purgeS: number;
  emptyKb: number;
  fullKb: number;
  afterKb: number;
}

const size = (f: string): number => {
  let n = 0;
  for (const x of [f, `${f}-wal`]) {
    try {
      n += statSync(x).size;
    } catch {
      /* absent */
    }
  }
  return n / 1024;
};

export function ledgerBench(count = 100_000): LedgerBench {
  const dir = mkdtempSync(join(tmpdir(), "spa-bench-ledger-"));
  const file = join(dir, "agent.db");
  try {
    const db = openAgentDb(file);
    const store = new CaptureStore(db);
    db.pragma("wal_checkpoint(TRUNCATE)");
    const emptyKb = size(file);
    const audio = Int16Array.from({ length: 160 }, (_, i) => (i * 97) % 3000); // 10 ms each
    const t0 = performance.now();
    const batch = db.transaction((n: number, base: number) => {
      for (let i = 0; i < n; i++) {
        const at = base + i;
        store.insert(
          {
            trigger: "wake",
            keyword: "天猫精灵",
            startedAt: at,
            endedAt: at + 1000,
            durationMs: 1000,
            endReason: "silence",
            policyVersion: 0,
            anonymization: "mcadams-b2/1",
            capturedWall: at,
            capturedUptime: 0,
          },
          audio,
          i % 2 ? { uploadId: `00000000-0000-4000-8000-${String(base + i).padStart(12, "0")}`, envelope: "{}", at } : null,
        );
      }
    });
    for (let done = 0; done < count; done += 1000) batch(Math.min(1000, count - done), done);
    const insertS = (performance.now() - t0) / 1000;
    db.pragma("wal_checkpoint(TRUNCATE)");
    const fullKb = size(file);
    const t1 = performance.now();
    const r = store.purgeExpired({ wall: count + 181 * DAY_MS, uptime: 181 * DAY_MS }, 180 * DAY_MS);
    const purgeS = (performance.now() - t1) / 1000;
    if (r.count !== count) throw new Error(`purged ${r.count} of ${count}`);
    const afterKb = size(file);
    db.close();
    return { captures: count, insertS, purgeS, emptyKb, fullKb, afterKb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
