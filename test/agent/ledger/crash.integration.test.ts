/**
 * kill -9 during writes and purges (a child process driving the real ledger code the agent
 * runs), at 20+ random points: every restart finds an intact file, a verifying audit chain, no
 * orphans, and each capture either complete (row, key, audio) or entirely gone.
 */
import { spawn } from "node:child_process";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SystemClock } from "../../../agent/adapters/system-clock.ts";
import { openLedgerAt } from "../../helpers/ledger-fixture.ts";
import { sleep, tempDir } from "../../helpers/tmp.ts";

const K = suite("crash safety (kill -9)");
const ROUNDS = Number(process.env.SPA_CRASH_ROUNDS ?? 24);

K(`${ROUNDS} kills at random points; each restart finds a consistent ledger`, async () => {
  const dir = tempDir("spa-crash-");
  let seed = 12345;
  const rnd = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  let captured = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const child = spawn(process.execPath, ["test/helpers/ledger-churn.ts", dir.path, String(round + 1)], { stdio: ["ignore", "pipe", "pipe"] });
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
        child.once("exit", (code) => reject(new Error(`churn exited ${code} before it was ready: ${err}`)));
      });
      await sleep(30 + Math.floor(rnd() * 400));
      child.kill("SIGKILL");
      const end = await exited;
      assert.is(end.signal, "SIGKILL", `the child was killed, not crashed: ${err}`);

      const f = openLedgerAt(dir.path, new SystemClock());
      const db = f.ledger.db;
      try {
        assert.is(db.pragma("integrity_check", { simple: true }), "ok", `round ${round}`);
        const v = f.ledger.audit.verify();
        assert.ok(v.ok, `round ${round}: ${JSON.stringify(v)}`);
        const one = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
        assert.is(one("SELECT COUNT(*) AS n FROM capture_keys WHERE capture_id NOT IN (SELECT capture_id FROM capture_audio)"), 0, "keys without audio");
        assert.is(one("SELECT COUNT(*) AS n FROM capture_audio WHERE capture_id NOT IN (SELECT capture_id FROM capture_keys)"), 0, "audio without keys");
        assert.is(one("SELECT COUNT(*) AS n FROM captures WHERE id NOT IN (SELECT capture_id FROM capture_audio)"), 0, "captures without audio");
        assert.is(one("SELECT COUNT(*) AS n FROM upload_queue WHERE capture_id NOT IN (SELECT id FROM captures)"), 0, "queued uploads without captures");
        // Every stored capture decrypts (complete), and the start-up repair has nothing to do.
        for (const c of f.ledger.captures.list(100_000)) assert.ok(f.ledger.captures.audio(c.id), `capture ${c.id} readable`);
        captured = Math.max(captured, f.ledger.audit.count());
        const s = f.ledger.startup();
        assert.equal([s.orphanKeys, s.orphanAudio, s.orphanFiles], [0, 0, 0]);
      } finally {
        f.close();
      }
    }
    assert.ok(captured > 50, `the child did real work (${captured} events)`);
  } finally {
    dir.remove();
  }
});

K.run();
