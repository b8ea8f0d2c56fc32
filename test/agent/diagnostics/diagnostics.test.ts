/** Diagnostics rules without the agent: what redaction masks, and a bundle's life (confirm once, for its fault; 24 h after debugging). */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { buildBundle, CATEGORIES } from "../../../agent/diagnostics/bundle.ts";
import { DELETE_AFTER_DEBUG_MS, mayConfirm, nextState, overdue, type DiagnosticsRecord } from "../../../agent/diagnostics/lifecycle.ts";
import { redact } from "../../../agent/diagnostics/redact.ts";

const D = suite("diagnostics");
const ids = { exact: ["dev-livingroom-7", "SN12345678", "acct-99887766", "speaker-host", null] };

D("redaction: phone numbers, e-mail, IP and MAC addresses, host names and the device's identifiers", () => {
  const table: Array<[string, string]> = [
    ["call 13812345678 back", "call <phone> back"],
    ["+86 13912345678", "<phone>"],
    ["intl +44 20 7946 0958 ok", "intl <phone> ok"],
    ["mail li.lei@example.com now", "mail <email> now"],
    ["peer 192.168.1.23 refused", "peer <ip> refused"],
    ["wlan 3c:22:fb:1a:2b:3c up", "wlan <mac> up"],
    ["broker mqtt.fleet.example.com:8883 lost", "broker <host>:8883 lost"],
    ["device dev-livingroom-7 serial SN12345678 account acct-99887766 on speaker-host", "device <id> serial <id> account <id> on <id>"],
    ["wake score 0.82 after 1200 ms, 3 sessions", "wake score 0.82 after 1200 ms, 3 sessions"],
    ["ledger v4 ok; spa:hotel dropped=2", "ledger v4 ok; spa:hotel dropped=2"],
  ];
  for (const [input, out] of table) assert.is(redact(input, ids), out, input);
});

D("a bundle lists its categories, holds no identifier anywhere, and no field for audio or words", () => {
  const b = JSON.parse(
    buildBundle({
      fault: "E42",
      at: Date.UTC(2026, 11, 3),
      versions: { agent: "0.1.0", node: "v24" },
      settings: { mode: "far", upload: { kind: "https" }, note: "host speaker-host" },
      counters: { sessionsKept: 3 },
      storage: { ok: false, failing: { ledger: "disk full on /var/lib/spa at 10.0.0.5" } },
      eventCounts: { mute: 2 },
      logLines: ["WARN  [spa:policy] fleet broker connection lost url=mqtts://mqtt.fleet.example.com serial SN12345678", "INFO  [spa] call 13812345678"],
      ids,
    }),
  ) as Record<string, unknown>;
  assert.equal(b.categories, [...CATEGORIES]);
  const text = JSON.stringify(b);
  for (const secret of ["SN12345678", "speaker-host", "10.0.0.5", "13812345678", "mqtt.fleet.example.com"]) assert.not.ok(text.includes(secret), secret);
  assert.equal(Object.keys(b).sort(), ["categories", "counters", "eventCounts", "fault", "format", "log", "preparedAt", "settings", "storage", "versions"]);
});

const rec = (over: Partial<DiagnosticsRecord>): DiagnosticsRecord => ({
  id: 1,
  fault: "E42",
  state: "prepared",
  categories: [],
  preparedAt: 0,
  sentAt: null,
  debugCompleteAt: null,
  deletedAt: null,
  overdueReported: false,
  ...over,
});

D("a confirmation counts once, for its own fault, with the consent in force", () => {
  assert.is(mayConfirm(rec({}), "E42", true), null);
  assert.is(mayConfirm(rec({}), "E42", false)?.code, "CONSENT_REQUIRED");
  assert.match(mayConfirm(rec({}), "E43", true)?.message ?? "", /prepared for fault E42, not E43/);
  assert.match(mayConfirm(rec({ state: "sent" }), "E42", true)?.message ?? "", /counts once/);
  assert.is(mayConfirm(null, "E42", true)?.code, "REFUSED");
});

D("upstream reports in order; deletion overdue only after 24 h from debugging complete, without a deletion", () => {
  assert.is(nextState(rec({}), "debug-complete"), null, "not before it was sent");
  assert.is(nextState(rec({ state: "sent" }), "debug-complete"), "debug-complete");
  assert.is(nextState(rec({ state: "debug-complete" }), "deleted"), "deleted");
  assert.is(nextState(rec({ state: "deleted" }), "deleted"), null);
  const done = rec({ state: "debug-complete", debugCompleteAt: 1_000 });
  assert.equal(overdue([done], 1_000 + DELETE_AFTER_DEBUG_MS), [], "at 24 h exactly: not yet");
  assert.equal(overdue([done], 1_001 + DELETE_AFTER_DEBUG_MS), [done]);
  assert.equal(overdue([{ ...done, state: "deleted" }], 10 * DELETE_AFTER_DEBUG_MS), [], "deleted in time");
});

D.run();
