/**
 * Household rights through the real `spa` commands on a real ledger: history, play, export,
 * delete, wipe. Deleted, expired and wiped material leaves no byte behind: canary patterns in the
 * audio and the metadata are scanned for in agent.db, its WAL, the data dir and the export.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SystemClock } from "../../../agent/adapters/system-clock.ts";
import { readPcm16 } from "../../../agent/audio/wav.ts";
import { DAY_MS } from "../../../agent/ledger/retention.ts";
import { POLICY_SETTING } from "../../../agent/ledger/settings.ts";
import { ConsentRegistry } from "../../../agent/consent/registry.ts";
import { NOTICES } from "../../../agent/consent/features.ts";
import { generateKeys, signEnvelope } from "../../../agent/policy/trust.ts";
import { FakeClock } from "../../fakes/fake-clock.ts";
import { scanFor } from "../../helpers/canary.ts";
import { openLedgerAt, storeCapture } from "../../helpers/ledger-fixture.ts";
import { tempDir } from "../../helpers/tmp.ts";

const H = suite("household rights (spa commands, real ledger)");
let dir: ReturnType<typeof tempDir>;
let data: string;
let cfg: string;

/** A recognisable audio pattern per capture (its bytes spell AUDIO-CANARY-<n>). */
function canaryAudio(n: number): Int16Array {
  const text = Buffer.from(`AUDIO-CANARY-${n}!`.padEnd(16, "#"));
  const b = Buffer.alloc(16000 * 2);
  for (let i = 0; i < b.length; i++) b[i] = text[i % text.length]!;
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}
const audioNeedle = (n: number): Buffer => Buffer.from(`AUDIO-CANARY-${n}!`);
const metaNeedle = (n: number): Buffer => Buffer.from(`META-CANARY-${n}-`);

function spa(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/spa.mjs", ...args, "--config", cfg], { encoding: "utf8", env: { ...process.env, SPA_CONFIG: "" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

H.before.each(() => {
  dir = tempDir("spa-rights-");
  data = join(dir.path, "data");
  cfg = join(dir.path, "config.json");
  writeFileSync(
    cfg,
    JSON.stringify({
      dataDir: data,
      bridge: { socketPath: join(dir.path, "run", "none.sock") },
      upload: { kind: "outbox", outboxDir: join(dir.path, "outbox"), sendDelayMaxSeconds: 0, deletionGapMaxSeconds: 0 },
    }),
  );
  const f = openLedgerAt(data, new SystemClock());
  for (let n = 1; n <= 3; n++) storeCapture(f.ledger, { audio: canaryAudio(n), endReason: `META-CANARY-${n}-end` });
  f.close();
});
H.after.each(() => dir.remove());

H("history counts expiry from the retention in force: a stored fleet policy's shorter limit, not the config's", () => {
  const keys = generateKeys();
  const keyFile = join(dir.path, "fleet.pub.pem");
  writeFileSync(keyFile, keys.publicPem);
  const conf = JSON.parse(readFileSync(cfg, "utf8")) as Record<string, unknown>;
  writeFileSync(cfg, JSON.stringify({ ...conf, policy: { trustedKeys: [{ keyId: keys.keyId, publicKeyFile: keyFile }] } }));
  const envelope = signEnvelope(keys.privatePem, { policy: { retentionDays: 30 }, version: 3, issuedAt: new Date(Date.now() - 60_000).toISOString() });
  const f = openLedgerAt(data, new SystemClock());
  f.ledger.captures.settings.set(POLICY_SETTING, JSON.stringify(envelope), Date.now());
  f.close();
  const h = spa("history");
  assert.is(h.status, 0, h.stderr);
  assert.match(h.stdout, /3 captures kept \(at most 30 days each\)[\s\S]*expires in 29 days/);
  const rows = spa("history", "--json")
    .stdout.trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { expiresInMs: number });
  assert.ok(rows.every((r) => r.expiresInMs > 29 * DAY_MS && r.expiresInMs <= 30 * DAY_MS));
});

const everywhere = (needle: Buffer, extra: string[] = []): string[] => [data, ...extra].flatMap((d) => (existsSync(d) ? scanFor(d, [needle]) : []));

H("history lists what is kept and when it expires; an export holds exactly that", () => {
  const h = spa("history", "--json");
  assert.is(h.status, 0, h.stderr);
  const rows = h.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { id: number; expiresInMs: number; durationMs: number; trigger: string });
  assert.equal(
    rows.map((r) => r.id),
    [3, 2, 1],
  );
  assert.ok(rows.every((r) => r.expiresInMs > 179 * DAY_MS && r.expiresInMs <= 180 * DAY_MS));
  assert.match(spa("history").stdout, /3 captures kept \(at most 180 days each\)[\s\S]*expires in 179 days/);

  const out = join(dir.path, "export");
  const e = spa("export", "--out", out);
  assert.is(e.status, 0, e.stderr);
  const exported = JSON.parse(readFileSync(join(out, "captures.json"), "utf8")) as Array<{ id: number; audioFile: string }>;
  assert.equal(
    exported.map((x) => x.id),
    rows.map((r) => r.id),
  );
  assert.equal(readdirSync(join(out, "audio")).sort(), ["capture-1.wav", "capture-2.wav", "capture-3.wav"]);
  assert.ok(readPcm16(readFileSync(join(out, exported[0]!.audioFile))).length > 0);
  assert.ok(JSON.parse(readFileSync(join(out, "audit.json"), "utf8")).length >= 0);
  assert.is(spa("export", "--out", out).status, 1, "refuses a non-empty directory");

  const play = join(dir.path, "p.wav");
  assert.is(spa("play", "2", "--out", play).status, 0);
  assert.ok(readFileSync(play).includes(audioNeedle(2)), "play gives the stored audio");
  assert.is(spa("play", "99", "--out", play).status, 1);
});

H("delete --id and --last remove every byte of those captures, exported copies included", () => {
  const out = join(dir.path, "export");
  assert.is(spa("export", "--out", out).status, 0);
  // Controls: the patterns are where they should be before deleting.
  assert.ok(everywhere(metaNeedle(2)).length > 0, "metadata canary in the ledger");
  assert.ok(scanFor(out, [audioNeedle(2)]).length > 0, "audio canary in the export");
  assert.equal(everywhere(audioNeedle(2)), [], "audio is only stored encrypted");

  const d1 = spa("delete", "--id", "2");
  assert.is(d1.status, 0, d1.stderr);
  assert.match(d1.stdout, /deleted 1 captures/);
  assert.equal(everywhere(metaNeedle(2), [out]), []);
  assert.equal(everywhere(audioNeedle(2), [out]), []);
  assert.ok(everywhere(metaNeedle(3)).length > 0, "the others stay");

  assert.is(spa("delete", "--last").status, 0);
  assert.equal(everywhere(metaNeedle(3), [out]), []);
  assert.equal(everywhere(audioNeedle(3), [out]), []);
  assert.ok(existsSync(join(out, "audio", "capture-1.wav")));
  const h = spa("history", "--json")
    .stdout.trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { id: number }).id);
  assert.equal(h, [1]);
  assert.is(spa("delete", "--id", "2").status, 1, "deleting what is gone is a clear error");
  assert.is(spa("delete").status, 1);
  assert.is(spa("delete", "--all", "--last").status, 1);
  const audit = spa("audit", "verify");
  assert.is(audit.status, 0, audit.stdout);
});

H("wipe leaves nothing: no capture, setting, export copy, template, or old privacy event", () => {
  const out = join(dir.path, "export");
  assert.is(spa("export", "--out", out).status, 0);
  const templates = join(data, "wake-templates");
  spawnSync("mkdir", ["-p", templates]);
  writeFileSync(join(templates, "templates.json"), "{}");
  assert.is(spa("wipe").status, 1, "needs --yes");
  const w = spa("wipe", "--yes");
  assert.is(w.status, 0, w.stderr);
  for (let n = 1; n <= 3; n++) {
    assert.equal(everywhere(metaNeedle(n), [out]), [], `meta ${n}`);
    assert.equal(everywhere(audioNeedle(n), [out]), [], `audio ${n}`);
  }
  assert.not.ok(existsSync(templates));
  assert.match(spa("history").stdout, /nothing is kept/);
  const events = spa("audit", "--json")
    .stdout.trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; seq: number });
  assert.equal(
    events.map((e) => [e.seq, e.type]),
    [[1, "wipe"]],
  );
  assert.is(spa("audit", "verify").status, 0);
});

H("after a wipe uploads and training use stay off until the household chooses again; a hotel check-out returns to the operator's defaults", () => {
  const d = tempDir();
  try {
    const f = openLedgerAt(d.path, new SystemClock());
    const ctx = { operatorDefault: { uploads: true, training: true }, purposes: [] };
    const registry = () => new ConsentRegistry({ store: f.ledger.consents, context: () => ctx, now: () => 5, audit: () => undefined, withdraw: () => 0 });
    assert.ok(registry().change({ feature: "diagnostics", grant: true, notice: NOTICES.diagnostics.key, by: "household", source: "test" }).ok);
    f.ledger.wipe(null);
    assert.equal(
      ["uploads", "training", "diagnostics"].map((x) => registry().granted(x)),
      [false, false, false],
      "the strictest, not the operator's default",
    );
    assert.equal(
      f.ledger.consents.history().map((r) => [r.feature, r.granted, r.by]),
      [
        ["uploads", false, "wipe"],
        ["training", false, "wipe"],
      ],
      "the old history is gone; the fallback is recorded",
    );
    assert.ok(registry().change({ feature: "training", grant: true, notice: NOTICES.training.key, by: "household", source: "test" }).ok);
    assert.is(registry().granted("training"), true, "until the household chooses again");
    f.ledger.wipe(null, "defaults");
    assert.equal(f.ledger.consents.history(), []);
    assert.equal(
      ["uploads", "training"].map((x) => registry().granted(x)),
      [true, true],
      "check-out: the operator's defaults for the next guest",
    );
    f.close();
  } finally {
    d.remove();
  }
});

H("expired captures are gone from every byte of the data dir (virtual time)", () => {
  const d = tempDir();
  const clock = new FakeClock();
  const f = openLedgerAt(d.path, clock);
  f.ledger.start();
  storeCapture(f.ledger, { audio: canaryAudio(7), endReason: "META-CANARY-7-end" });
  clock.advance(10 * DAY_MS);
  storeCapture(f.ledger, { audio: canaryAudio(8), endReason: "META-CANARY-8-end" });
  assert.ok(scanFor(d.path, [metaNeedle(7)]).length > 0);
  clock.advance(170 * DAY_MS);
  assert.is(f.ledger.captures.count(), 1);
  assert.equal(scanFor(d.path, [metaNeedle(7)]), [], "the expired one, in agent.db and its WAL");
  assert.ok(scanFor(d.path, [metaNeedle(8)]).length > 0, "the younger one stays");
  f.close();
  d.remove();
});

H.run();
