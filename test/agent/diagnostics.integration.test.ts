/**
 * Diagnostics on the real agent (real ledger, real bridge socket, outbox receiver, `spa
 * diagnostics` as a household runs it): a bundle is prepared for a fault and listed, leaves only
 * on a confirmation naming that fault with the consent in force, holds no identifier, its local
 * copy is gone once delivered, and an upstream deletion missing 24 h after debugging raises an
 * alert (audit and state). The wall clock is moved forward, the way a real clock can jump.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { NOTICES } from "../../agent/consent/features.ts";
import type { Clock } from "../../agent/ports/clock.ts";
import { Timestamp } from "../../agent/units.ts";
import type { AckData } from "../../firmware-bridge/protocol/messages.ts";
import { FakeFirmware } from "../../firmware-bridge/sim/fake-firmware.ts";
import { startAgent } from "../helpers/agent-in-process.ts";
import { LogRing, createLogger } from "../../agent/log.ts";
import { tempDir, until } from "../helpers/tmp.ts";

const D = suite("diagnostics (real agent)");

D(
  "prepare → listed categories; confirm needs the consent and the fault; sent once, local copy gone, no identifier; deletion overdue after 24 h → alert",
  async () => {
    const out = tempDir("spa-diag-outbox-");
    let offset = 0;
    const clock: Clock = {
      now: () => Timestamp(Date.now() + offset),
      monotonic: () => performance.now(),
      after: (ms, fn) => {
        const t = setTimeout(fn, ms);
        return { cancel: () => clearTimeout(t) };
      },
    };
    // The agent's own log, kept in RAM as `spa start` keeps it; one line carries identifiers.
    const ring = new LogRing(300);
    const log = createLogger({ name: "spa", level: "info", sink: ring });
    log.warn("fleet broker lost; support line 13812345678, account ACCOUNT-CANARY-5");
    const a = await startAgent(
      {
        mode: "near",
        device: { id: "dev-canary-1", serial: "SERIAL-CANARY-5", accountId: "ACCOUNT-CANARY-5" },
        upload: { kind: "outbox", outboxDir: out.path, sendDelayMaxSeconds: 0, deletionGapMaxSeconds: 0 },
      },
      { clock, log, logRing: ring },
    );
    const fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
    const spa = (...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
      new Promise((done) => {
        execFile(
          process.execPath,
          ["bin/spa.mjs", "diagnostics", ...args, "--socket", a.socketPath],
          { encoding: "utf8", timeout: 30_000 },
          (err, stdout, stderr) => done({ status: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr }),
        );
      });
    try {
      const prepared = await spa("prepare", "--fault", "E42");
      assert.is(prepared.status, 0, prepared.stderr);
      assert.match(prepared.stdout, /^bundle 1 for fault E42 \(\d+ bytes\), kept on this speaker until you confirm\. It holds:\n {2}- agent and Node versions/);
      assert.match(prepared.stdout, /Never audio, never what was said\. To send it: spa diagnostics confirm 1 --fault E42/);
      assert.equal(readdirSync(out.path), [], "nothing left yet");
      const noConsent = await spa("confirm", "1", "--fault", "E42");
      assert.is(noConsent.status, 1);
      assert.match(noConsent.stderr, /\(CONSENT_REQUIRED\)/);
      assert.is((await fw.request({ type: "consent-grant", feature: "diagnostics", notice: NOTICES.diagnostics.key })).type, "ack");
      const wrongFault = await spa("confirm", "1", "--fault", "E43");
      assert.match(wrongFault.stderr, /prepared for fault E42, not E43/);
      assert.is((await spa("confirm", "1", "--fault", "E42")).status, 0);
      await until(() => readdirSync(out.path).some((f) => f.startsWith("diagnostics-")), 5000, "the bundle delivered");
      await until(() => a.agent.ledger!.diagnostics.get(1)?.sentAt !== null, 5000, "marked sent");
      const sent = readFileSync(
        join(
          out.path,
          readdirSync(out.path).find((f) => f.startsWith("diagnostics-"))!,
        ),
        "utf8",
      );
      for (const id of ["dev-canary-1", "SERIAL-CANARY-5", "ACCOUNT-CANARY-5", "13812345678", hostname()])
        assert.not.ok(sent.includes(id), `the bundle carries ${id}`);
      assert.match(sent, /<phone>, account <id>/, "the log line is in it, masked");
      assert.is(a.agent.ledger!.diagnostics.bundle(1), null, "the local copy is gone");
      assert.match((await spa("confirm", "1", "--fault", "E42")).stderr, /counts once/);
      // Upstream: debugging complete, then no deletion for more than a day.
      assert.match((await spa("report", "1", "debug-complete")).stdout, /bundle 1: debug-complete/);
      offset = 24 * 3_600_000 + 60_000;
      const list = await spa("list");
      assert.match(list.stdout, /^1 {2}fault E42 {2}debug-complete .*DELETION OVERDUE\n$/);
      assert.ok(
        a.agent.ledger!.audit.list(100).some((e) => e.type === "diagnostics-overdue"),
        "the alert is in the privacy record",
      );
      assert.is(a.agent.policy!.state().diagnosticsOverdue, 1, "the fleet state topic carries the alert");
      const r = await fw.request({ type: "diagnostics" });
      assert.equal(r.type === "ack" ? (r.data as AckData["diagnostics"]).diagnostics.map((b) => b.overdue) : null, [true]);
      assert.match((await spa("report", "1", "deleted")).stdout, /bundle 1: deleted/);
      assert.not.match((await spa("list")).stdout, /OVERDUE/);
      assert.is(a.agent.policy!.state().diagnosticsOverdue, 0);
      // A bundle prepared and not sent is discarded when the household withdraws the consent.
      assert.is((await spa("prepare", "--fault", "E77")).status, 0);
      const w = await fw.request({ type: "consent-withdraw", feature: "diagnostics" });
      assert.equal(w.type === "ack" ? [(w.data as AckData["consent-withdraw"]).stopped, (w.data as AckData["consent-withdraw"]).affected] : null, [
        "delete-diagnostics",
        1,
      ]);
      assert.equal([a.agent.ledger!.diagnostics.get(2)?.state, a.agent.ledger!.diagnostics.bundle(2)], ["discarded", null]);
    } finally {
      fw.stop();
      await a.stop();
      out.remove();
    }
  },
);

D.run();
