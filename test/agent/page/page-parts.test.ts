/**
 * The household page's parts on their own: pairing codes in virtual time, the device
 * certificate (checked by Node's X.509 parser and by openssl), the ZIP writer (checked by
 * Python's zipfile), paired sessions in a real ledger, and "mute until tomorrow".
 */
import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { openAgentDb } from "../../../agent/ledger/agent-db.ts";
import { PageSessions } from "../../../agent/ledger/page-sessions.ts";
import { deviceCert, makeCert } from "../../../agent/page/cert.ts";
import { Pairing } from "../../../agent/page/pairing.ts";
import { describeAgent, minutesUntilMorning } from "../../../agent/page/server.ts";
import { ZipWriter } from "../../../agent/page/zip.ts";
import { tempDir } from "../../helpers/tmp.ts";

const P = suite("household page parts");

function pairing(codes: number[] = [42, 7, 123456, 999999, 5, 6, 7, 8]) {
  let now = 1_000;
  let i = 0;
  const p = new Pairing({ now: () => now, randomInt: (n) => codes[i++ % codes.length]! % n });
  return { p, tick: (ms: number) => (now += ms) };
}

P("a code is 6 digits, pairs once, expires after 2 minutes, and a new one replaces the old", () => {
  const { p, tick } = pairing();
  const a = p.issue();
  assert.equal(a, { ok: true, code: "000042", validMs: 120_000 });
  assert.equal(p.attempt("000042"), { ok: true });
  assert.equal(p.attempt("000042"), { ok: false, reason: "NO_CODE" }, "spent");
  p.issue();
  tick(119_999);
  assert.equal(p.pending(), { validMs: 1 });
  tick(1);
  assert.equal(p.attempt("000007"), { ok: false, reason: "NO_CODE" }, "expired at 2 minutes");
  const c = p.issue();
  const d = p.issue();
  assert.ok(c.ok && d.ok);
  assert.equal(p.attempt(c.code), { ok: false, reason: "WRONG_CODE" }, "replaced");
  assert.equal(p.attempt(d.code), { ok: true });
});

P(
  "five wrong tries burn a code; ten lock pairing for a minute, the next lock two, then four…; a code from the speaker lifts the lock; five codes a minute",
  () => {
    const { p, tick } = pairing([111111, 222222, 333333, 444444, 555555, 666666, 777777, 888888]);
    assert.equal(p.attempt("000000"), { ok: false, reason: "NO_CODE" }, "nothing waiting: not counted");
    p.issue();
    for (let i = 0; i < 5; i++) assert.equal(p.attempt("000000"), { ok: false, reason: "WRONG_CODE" });
    assert.equal(p.attempt("111111"), { ok: false, reason: "NO_CODE" }, "burnt after five wrong tries");
    p.issue();
    for (let i = 0; i < 5; i++) p.attempt("000000");
    tick(1000);
    p.issue();
    assert.equal(p.attempt("333333"), { ok: false, reason: "RATE_LIMITED", retryAfterMs: 59_000 }, "ten wrong tries: even the right code waits");
    tick(59_000);
    for (let i = 0; i < 5; i++) p.attempt("000000");
    p.issue();
    for (let i = 0; i < 5; i++) p.attempt("000000");
    const second = p.attempt("000000");
    assert.equal(second, { ok: false, reason: "RATE_LIMITED", retryAfterMs: 120_000 }, "the second lock lasts two minutes");
    const device = p.issue(true);
    assert.ok(device.ok);
    assert.equal(p.attempt(device.ok ? device.code : ""), { ok: true }, "a code from the speaker itself lifts the lock");
    // Codes: five in a minute, then refused.
    tick(60_000);
    for (let i = 0; i < 5; i++) assert.ok(p.issue().ok);
    const refused = p.issue(true);
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.retryAfterMs > 0);
  },
);

P("the lock grows to an hour at most, and a pairing resets it", () => {
  const { p, tick } = pairing([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  const locks: number[] = [];
  for (let round = 0; round < 8; round++) {
    for (let k = 0; k < 2; k++) {
      tick(60_000);
      p.issue();
      for (let i = 0; i < 5; i++) p.attempt("999999");
    }
    const r = p.attempt("999999");
    const ms = !r.ok && r.reason === "RATE_LIMITED" ? r.retryAfterMs! : 0;
    locks.push(ms / 60_000);
    tick(ms);
  }
  assert.equal(locks, [1, 2, 4, 8, 16, 32, 60, 60]);
  tick(60_000);
  const c = p.issue();
  assert.ok(c.ok && p.attempt(c.code).ok);
  tick(60_000);
  p.issue();
  for (let i = 0; i < 5; i++) p.attempt("999999");
  tick(60_000);
  p.issue();
  for (let i = 0; i < 5; i++) p.attempt("999999");
  const r = p.attempt("999999");
  assert.equal(!r.ok && r.retryAfterMs, 60_000, "back to one minute after a pairing");
});

P("property: whatever the guesses, no more than 10 wrong tries a minute are judged, and only the issued code ever pairs", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ kind: fc.constant("issue" as const) }),
          fc.record({ kind: fc.constant("try" as const), code: fc.integer({ min: 0, max: 999_999 }) }),
          fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 90_000 }) }),
        ),
        { maxLength: 120 },
      ),
      (ops) => {
        let now = 0;
        let seed = 1;
        const p = new Pairing({ now: () => now, randomInt: (n) => (seed = (seed * 48271) % 2147483647) % n });
        let current: string | null = null;
        const judged: number[] = [];
        for (const op of ops) {
          if (op.kind === "wait") now += op.ms;
          else if (op.kind === "issue") {
            const r = p.issue();
            if (r.ok) current = r.code;
          } else {
            const code = String(op.code).padStart(6, "0");
            const r = p.attempt(code);
            if (r.ok) {
              assert.is(code, current, "only the issued code pairs");
              current = null;
            } else if (r.reason === "WRONG_CODE") judged.push(now);
          }
          const recent = judged.filter((t) => now - t < 60_000);
          assert.ok(recent.length <= 10, `${recent.length} wrong tries judged within a minute`);
        }
      },
    ),
  );
});

P("the device certificate: P-256, self-signed, covers its IP addresses and names, for 397 days; openssl agrees", () => {
  const now = Date.parse("2026-12-03T08:00:00Z");
  const c = makeCert(["192.168.1.20", "speaker.local", "::1"], now);
  const x = new X509Certificate(c.cert);
  assert.ok(x.checkIP("192.168.1.20"));
  assert.ok(x.checkIP("::1"));
  assert.ok(x.checkHost("speaker.local"));
  assert.not.ok(x.checkIP("192.168.1.21"));
  assert.ok(x.verify(x.publicKey), "self-signed");
  assert.is(x.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  assert.is(Date.parse(x.validTo), now + 397 * 86_400_000);
  assert.is(x.fingerprint256, c.fingerprint);
  const dir = tempDir("spa-cert-");
  try {
    writeFileSync(join(dir.path, "c.pem"), c.cert);
    const text = execFileSync("openssl", ["x509", "-in", join(dir.path, "c.pem"), "-noout", "-text"], { encoding: "utf8" });
    assert.match(text, /CA:FALSE/);
    assert.match(text, /TLS Web Server Authentication/);
    assert.match(text, /IP Address:192\.168\.1\.20, DNS:speaker\.local, IP Address:0:0:0:0:0:0:0:1/);
    execFileSync("openssl", ["verify", "-CAfile", join(dir.path, "c.pem"), join(dir.path, "c.pem")]);
  } finally {
    dir.remove();
  }
});

P("DER as strict parsers want it: a minimal positive serial (300 certificates), keyUsage with its 7 unused bits", () => {
  for (let i = 0; i < 300; i++) {
    const x = new X509Certificate(makeCert(["127.0.0.1"], Date.now()).cert);
    assert.match(x.serialNumber, /^(?!00)[0-7][0-9A-F]{31}$/i, x.serialNumber);
  }
  const der = new X509Certificate(makeCert(["127.0.0.1"], Date.now()).cert).raw;
  assert.ok(
    der.includes(Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x07, 0x80])),
    "keyUsage: critical, digitalSignature, 7 unused bits",
  );
});

P("the certificate is kept while it fits; made again near its end, for a new address, or when damaged", () => {
  const dir = tempDir("spa-cert-");
  try {
    const now = Date.now();
    const a = deviceCert(dir.path, ["127.0.0.1", "localhost"], now);
    assert.ok(a.made);
    assert.match(readFileSync(join(dir.path, "key.pem"), "utf8"), /^-----BEGIN PRIVATE KEY-----/);
    const b = deviceCert(dir.path, ["127.0.0.1"], now + 86_400_000);
    assert.equal([b.made, b.fingerprint], [false, a.fingerprint], "kept");
    const c = deviceCert(dir.path, ["127.0.0.1", "192.168.1.20"], now);
    assert.ok(c.made, "a new address");
    const d = deviceCert(dir.path, ["127.0.0.1", "192.168.1.20"], now + 370 * 86_400_000);
    assert.ok(d.made, "under 30 days left");
    writeFileSync(join(dir.path, "cert.pem"), "garbage");
    assert.ok(deviceCert(dir.path, ["127.0.0.1"], now).made, "damaged");
  } finally {
    dir.remove();
  }
});

P("the ZIP writer: stored entries with UTF-8 names that Python's zipfile reads back byte for byte", () => {
  const dir = tempDir("spa-zip-");
  try {
    const chunks: Buffer[] = [];
    const z = new ZipWriter((b) => chunks.push(b));
    const files: Array<[string, Buffer]> = [
      ["captures.json", Buffer.from('[{"id":1}]\n')],
      ["audio/capture-1.wav", Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251))],
      ["说明.txt", Buffer.from("音箱")],
      ["empty", Buffer.alloc(0)],
    ];
    for (const [n, d] of files) z.add(n, d, Date.parse("2026-12-03T08:00:00Z"));
    z.finish();
    const file = join(dir.path, "x.zip");
    writeFileSync(file, Buffer.concat(chunks));
    const py = `import zipfile,sys,json,hashlib\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps([[i.filename,hashlib.sha256(z.read(i)).hexdigest(),list(i.date_time)] for i in z.infolist()]))`;
    const got = JSON.parse(execFileSync("python3", ["-c", py, file], { encoding: "utf8" })) as Array<[string, string, number[]]>;
    assert.equal(
      got.map(([n, h]) => [n, h]),
      files.map(([n, d]) => [n, createHash("sha256").update(d).digest("hex")]),
    );
    const local = new Date(Date.parse("2026-12-03T08:00:00Z"));
    assert.equal(
      got[0]![2],
      [local.getFullYear(), local.getMonth() + 1, local.getDate(), local.getHours(), local.getMinutes(), local.getSeconds()],
      "device-local time, as unzip shows it",
    );
  } finally {
    dir.remove();
  }
});

P("paired sessions: only a hash is stored; found while used; gone when idle too long, revoked or wiped", () => {
  const db = openAgentDb(":memory:");
  const s = new PageSessions(db, 30 * 86_400_000);
  const token = "t".repeat(43);
  const id = s.create(token, "Chrome on Android", 1_000);
  const stored = db.prepare("SELECT token_hash FROM page_sessions").all() as Array<{ token_hash: string }>;
  assert.not.ok(
    stored.some((r) => r.token_hash.includes(token)),
    "the token itself is not stored",
  );
  assert.is(s.find(token, 2_000)?.id, id);
  assert.is(s.find("u".repeat(43), 2_000), null);
  // Used on day 20: the idle clock restarts.
  assert.ok(s.find(token, 20 * 86_400_000));
  assert.ok(s.find(token, 49 * 86_400_000), "29 days after its last use");
  assert.is(s.find(token, 49 * 86_400_000 + 30 * 86_400_000), null, "30 days unused");
  const other = s.create("v".repeat(43), "Safari on iOS", 1);
  assert.equal(
    s.list(2).map((x) => x.id),
    [other],
  );
  assert.is(s.revoke(other, 3), 1);
  assert.is(s.revoke(other, 3), 0, "already revoked");
  assert.is(s.find("v".repeat(43), 4), null);
  s.create("w".repeat(43), "x", 5);
  assert.is(s.revoke("all", 6), 1);
  assert.is(s.clear() >= 3, true);
});

P("mute until tomorrow ends at 07:00 device-local time; a browser is named by kind only", () => {
  const at = (y: number, mo: number, d: number, h: number, mi: number) => new Date(y, mo - 1, d, h, mi).getTime();
  assert.is(minutesUntilMorning(at(2026, 12, 3, 22, 30)), 8 * 60 + 30);
  assert.is(minutesUntilMorning(at(2026, 12, 3, 7, 0)), 24 * 60);
  assert.is(minutesUntilMorning(at(2026, 12, 4, 1, 0)), 6 * 60, "after midnight: this morning");
  assert.is(minutesUntilMorning(at(2026, 12, 31, 23, 0)), 8 * 60, "over the year's end");
  assert.is(describeAgent("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"), "Chrome on Android");
  assert.is(
    describeAgent("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1"),
    "Safari on iOS",
  );
  assert.is(describeAgent(undefined), "a browser");
});

P.run();
