/**
 * The household page's server on the real agent (real ledger file, real bridge socket, real
 * HTTP and HTTPS on loopback): nothing without pairing, pairing by the code the speaker
 * announces, CSRF on every change, the same code paths as the bridge (the audit shows it), the
 * export as one archive, sessions revoked from the speaker's shell, and random requests that
 * never crash it or leak a stack trace.
 */
import { execFile, execFileSync } from "node:child_process";
import { request, type IncomingMessage } from "node:http";
import { X509Certificate } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { AckData } from "../../../firmware-bridge/protocol/messages.ts";
import { FakeFirmware } from "../../../firmware-bridge/sim/fake-firmware.ts";
import { startAgent, type InProcessAgent } from "../../helpers/agent-in-process.ts";
import { PageClient } from "../../helpers/page-client.ts";
import { tempDir, until } from "../../helpers/tmp.ts";

const P = suite("household page (real agent, real HTTP)");
const running: Array<() => Promise<void> | void> = [];
P.after.each(async () => {
  for (const stop of running.splice(0).reverse()) await stop();
});

async function agentWithPage(page: Record<string, unknown> = {}): Promise<{ a: InProcessAgent; fw: FakeFirmware; base: string; ca: string | undefined }> {
  const a = await startAgent({ mode: "near", page: { enabled: true, port: 0, ...page } });
  const fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
  running.push(
    () => a.stop(),
    () => fw.stop(),
  );
  const p = a.agent.page!;
  const ca = p.fingerprint ? readFileSync(join(a.config.dataDir, "page", "cert.pem"), "utf8") : undefined;
  return { a, fw, base: p.urls[0]!, ca };
}

/** A paired client: the page asks the speaker for a code, the firmware hears it, the client enters it. */
async function paired(fw: FakeFirmware, base: string, ca?: string): Promise<PageClient> {
  const c = new PageClient(base, ca);
  const before = fw.pairingCodes.length;
  const r = await c.send("POST", "/pair/announce", { json: {} });
  assert.is(r.status, 200, r.body.toString());
  assert.not.match(r.body.toString(), /\d{6}/, "the code goes only to the speaker");
  await fw.waitFor(() => fw.pairingCodes.length > before, 5000, "the code announced");
  const p = await c.pair(fw.pairingCodes.at(-1)!);
  assert.is(p.status, 200, p.body.toString());
  return c;
}

async function talk(a: InProcessAgent, fw: FakeFirmware, ms = 300): Promise<void> {
  await fw.pushToTalk(ms);
  await a.agent.driver!.settled();
  await until(() => a.agent.captures!.list().every((c) => c.hasAudio), 10_000, "stored");
}

const API_PATHS = [
  "/api/state",
  "/api/captures",
  "/api/captures/1/audio",
  "/api/consents",
  "/api/audit",
  "/api/export",
  "/api/events",
  "/api/session",
  "/api/nope",
];

P("unpaired: every /api/ request gets 401 and nothing else; the page itself and its files load", async () => {
  const { a, fw, base } = await agentWithPage();
  await talk(a, fw);
  const c = new PageClient(base);
  for (const path of API_PATHS)
    for (const method of ["GET", "POST", "DELETE"]) {
      const r = await c.send(method, path, { json: method === "GET" ? undefined : { scope: "all" } });
      assert.is(r.status, 401, `${method} ${path}`);
      assert.equal(Object.keys(r.json()).sort(), ["error", "message"], `${method} ${path}: nothing else`);
    }
  // A forged cookie is no session either.
  const forged = await c.send("GET", "/api/captures", { headers: { cookie: `spa-session=${"A".repeat(43)}` } });
  assert.is(forged.status, 401);
  assert.is(a.agent.captures!.count(), 1, "nothing deleted");
  for (const [path, type] of [
    ["/", "text/html"],
    ["/app.js", "text/javascript"],
    ["/app.css", "text/css"],
  ] as const) {
    const r = await c.send("GET", path);
    assert.is(r.status, 200, path);
    assert.match(String(r.headers["content-type"]), type);
    assert.match(String(r.headers["content-security-policy"]), /default-src 'none'/);
  }
  // The page references nothing outside the speaker.
  const all = ["/", "/app.js", "/app.css"].map((p) => readFileSync(join("agent/page/static", p === "/" ? "index.html" : p.slice(1)), "utf8")).join("\n");
  assert.not.match(all, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, "no external resource");
});

P(
  "pairing: the announced code pairs once; wrong tries burn it and lock pairing, longer each time; a code from the speaker itself lifts the lock; announcing needs the page's own JSON request",
  async () => {
    const { fw, base, a } = await agentWithPage();
    const c = new PageClient(base);
    // No code is waiting (a device announces none at boot): nothing to guess, nothing counted.
    const none = await c.pair("123456");
    assert.is(none.status, 403);
    assert.is(none.json().error, "NO_CODE");
    // Another web page cannot make the speaker announce: a form post is refused, so is a foreign origin.
    const heard0 = fw.pairingCodes.length;
    assert.is((await c.send("POST", "/pair/announce", { body: "x=1", headers: { "content-type": "application/x-www-form-urlencoded" } })).status, 415);
    assert.is((await c.send("POST", "/pair/announce", { json: {}, headers: { origin: "http://evil.example" } })).status, 403);
    assert.is(fw.pairingCodes.length, heard0, "nothing announced");
    const good = await paired(fw, base);
    assert.match(good.cookie!, /^spa-session=[A-Za-z0-9_-]{43}$/, "a 256-bit token");
    const reuse = await new PageClient(base).pair(fw.pairingCodes.at(-1)!);
    assert.is(reuse.json().error, "NO_CODE", "a code pairs once");
    assert.is((await good.send("GET", "/api/session")).status, 200);
    const announce = async (): Promise<string> => {
      const heard = fw.pairingCodes.length;
      assert.is((await c.send("POST", "/pair/announce", { json: {} })).status, 200);
      await fw.waitFor(() => fw.pairingCodes.length > heard, 5000, "another code");
      return fw.pairingCodes.at(-1)!;
    };
    const wrongFor = (code: string): string => (code === "000000" ? "000001" : "000000");
    // Five wrong tries burn a code.
    const first = await announce();
    const tries: string[] = [];
    for (let i = 0; i < 5; i++) tries.push(String((await c.pair(wrongFor(first))).json().error));
    tries.push(String((await c.pair(first)).json().error));
    assert.equal(tries, ["WRONG_CODE", "WRONG_CODE", "WRONG_CODE", "WRONG_CODE", "WRONG_CODE", "NO_CODE"]);
    // Ten wrong tries lock pairing: even the right code waits.
    const second = await announce();
    for (let i = 0; i < 5; i++) await c.pair(wrongFor(second));
    const third = await announce();
    const locked = await c.pair(third);
    assert.is(locked.status, 429);
    assert.ok(Number(locked.json().retryAfterSeconds) >= 59, JSON.stringify(locked.json()));
    // The speaker itself (spa page pair, the firmware) starts afresh.
    const fromDevice = (await fw.request({ type: "page-pair" })) as { type: string; data: AckData["page-pair"] };
    assert.is(fromDevice.type, "ack");
    assert.is((await c.pair(fromDevice.data.code)).status, 200, "the lock is lifted by a code from the speaker");
    assert.ok(!a.out.some((l) => /\d{6}/.test(l) && fw.pairingCodes.some((code) => l.includes(code))), "no code in the agent's output");
    const list = (await fw.request({ type: "page-sessions" })) as { type: string; data: AckData["page-sessions"] };
    assert.equal(
      list.data.sessions.map((x) => x.label),
      ["a browser", "a browser"],
    );
  },
);

P("changes need the session's CSRF token and this page's origin; they go through the bridge's path (audit) and the state is live", async () => {
  const { a, fw, base } = await agentWithPage();
  const c = await paired(fw, base);
  const noToken = await c.send("POST", "/api/mute", { json: {}, headers: { "x-csrf-token": "" } });
  assert.is(noToken.status, 403);
  const foreign = await c.send("POST", "/api/mute", { json: {}, headers: { origin: "https://evil.example" } });
  assert.is(foreign.status, 403);
  assert.is(a.agent.driver!.state.userMute, null, "not muted by a refused request");
  const form = await c.send("POST", "/api/mute", { body: "minutes=30", headers: { "content-type": "application/x-www-form-urlencoded" } });
  assert.is(form.status, 415, "a form post (what another site can send) is refused");
  const m = await c.send("POST", "/api/mute", { json: { minutes: 30 } });
  assert.is(m.status, 200, m.body.toString());
  assert.is((m.json().state as { mutedBy: string }).mutedBy, "timer");
  assert.ok(a.agent.driver!.state.userMute?.until, "a timed mute in the agent");
  const bad = await c.send("POST", "/api/mute", { json: { minutes: 0 } });
  assert.is(bad.status, 400, "the bridge's schema checks the page's input");
  assert.match(String(bad.json().message), /minutes/);
  const u = await c.send("POST", "/api/unmute");
  assert.is(u.status, 200);
  const tomorrow = await c.send("POST", "/api/mute", { json: { until: "tomorrow" } });
  assert.is(tomorrow.status, 200);
  const until7 = new Date(a.agent.driver!.state.userMute!.until!);
  assert.equal([until7.getHours(), until7.getMinutes()], [7, 0], "until 07:00");
  // The event stream: a mute pressed on the speaker arrives as a state event.
  await c.send("POST", "/api/unmute");
  const events = await openEvents(c);
  await fw.request({ type: "button", button: "mute", action: "press" });
  await until(() => events.text.includes('"mutedBy":"button"'), 5000, "the mute on the stream");
  events.close();
  const types = a.agent.ledger!.audit.list(50).map((e) => e.type);
  assert.ok(types.includes("mute") && types.includes("unmute"), types.join(","));
});

P("captures: list, play the stored audio, delete one (gone from agent.db, audited as the page's), delete today and all; export as one ZIP", async () => {
  const { a, fw, base } = await agentWithPage();
  await talk(a, fw);
  await talk(a, fw);
  await talk(a, fw);
  const c = await paired(fw, base);
  const list = (await c.send("GET", "/api/captures")).json() as { captures: Array<{ id: number; expiresInMs: number }>; retentionDays: number };
  assert.is(list.captures.length, 3);
  assert.is(list.retentionDays, 180);
  const [first, second] = list.captures.map((r) => r.id).sort((x, y) => x - y);
  const audio = await c.send("GET", `/api/captures/${first}/audio`);
  assert.is(audio.status, 200);
  assert.is(audio.headers["content-type"], "audio/wav");
  assert.is(audio.body.subarray(0, 4).toString(), "RIFF");
  assert.is((await c.send("GET", "/api/captures/999/audio")).status, 404);
  const del = await c.send("DELETE", `/api/captures/${first}`);
  assert.is(del.status, 200);
  assert.ok(!a.agent.captures!.list().some((r) => r.id === first), "gone from the ledger");
  const audit = a.agent.ledger!.audit.list(20).filter((e) => e.type === "deletion");
  assert.equal(audit.at(-1)!.data, { scope: "id", count: 1, via: "page", deletionRequests: 1 }, "uploaded: its upstream deletion is requested");
  assert.is((await c.send("DELETE", `/api/captures/${first}`)).status, 404);

  const dir = tempDir("spa-page-export-");
  running.push(() => dir.remove());
  const zip = await c.send("GET", `/api/export?csrf=${encodeURIComponent(c.csrf!)}`);
  assert.is(zip.status, 200);
  assert.match(String(zip.headers["content-disposition"]), /attachment; filename="speaker-export-\d{4}-\d\d-\d\d\.zip"/);
  const file = join(dir.path, "export.zip");
  writeFileSync(file, zip.body);
  // Python's zipfile checks every CRC and reads the archive as any unzip would.
  const py = `import zipfile,json,sys\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps({"names":sorted(z.namelist()),"captures":json.loads(z.read("captures.json"))}))`;
  const listing = JSON.parse(execFileSync("python3", ["-c", py, file], { encoding: "utf8" })) as { names: string[]; captures: Array<{ id: number }> };
  assert.equal(
    listing.names,
    ["audit-head.json", "audit.json", `audio/capture-${second}.wav`, `audio/capture-${second! + 1}.wav`, "captures.json", "settings.json"].sort(),
  );
  assert.equal(listing.captures.map((r) => r.id).sort(), [second, second! + 1]);
  const noCsrf = await c.send("GET", "/api/export");
  assert.is(noCsrf.status, 403, "a download link without the page's token");
  assert.ok(a.agent.ledger!.audit.list(5).some((e) => e.type === "export" && (e.data as { via?: string }).via === "page"));

  const today = await c.send("POST", "/api/delete", { json: { scope: "today" } });
  assert.equal(today.json(), { deleted: 2 });
  assert.is(a.agent.captures!.count(), 0);
  const badScope = await c.send("POST", "/api/delete", { json: { scope: "everything" } });
  assert.is(badScope.status, 400);
});

P("consents from the page: a grant needs the current notice; a withdrawal stops at once; the history shows both", async () => {
  const { a, fw, base } = await agentWithPage();
  const c = await paired(fw, base);
  const list = (await c.send("GET", "/api/consents")).json() as AckData["consents"];
  const training = list.consents.find((l) => l.feature === "training")!;
  const outdated = await c.send("POST", "/api/consents", { json: { feature: "training", granted: true, notice: "consent.training.v0" } });
  assert.is(outdated.status, 409);
  assert.is(outdated.json().error, "NOTICE_OUTDATED");
  const w = await c.send("POST", "/api/consents", { json: { feature: "training", granted: false } });
  assert.is(w.status, 200, w.body.toString());
  assert.is(a.agent.consents!.granted("training"), false);
  const g = await c.send("POST", "/api/consents", { json: { feature: "training", granted: true, notice: training.currentNotice } });
  assert.is(g.status, 200, g.body.toString());
  assert.is(a.agent.consents!.granted("training"), true);
  const hist = ((await c.send("GET", "/api/consents")).json() as AckData["consents"]).history!;
  assert.equal(
    hist
      .filter((h) => h.feature === "training")
      .map((h) => h.granted)
      .slice(-2),
    [false, true],
  );
});

P(
  "event streams: a phone that stops reading never hurts the agent, even across a revoke; a wipe of the sessions ends their streams within the poll; HEAD answers at once",
  async () => {
    const { a, fw, base } = await agentWithPage();
    const c = await paired(fw, base);
    // A stream whose phone reads nothing.
    const stuck = await eventsResponse(c);
    stuck.res.pause();
    running.push(() => stuck.close());
    assert.is(stuck.res.statusCode, 200);
    for (let i = 0; i < 150; i++) await fw.request({ type: i % 2 ? "unmute" : "mute" });
    await fw.request({ type: "page-sessions", revoke: "all" });
    for (let i = 0; i < 20; i++) await fw.request({ type: i % 2 ? "unmute" : "mute" });
    assert.is((await fw.request({ type: "get-state" })).type, "ack", "the agent is alive");
    // A wipe (or a hotel's check-out) clears the sessions in the ledger: their streams end too.
    const d = await paired(fw, base);
    const events = await openEvents(d);
    a.agent.ledger!.pageSessions.clear();
    await events.ended;
    assert.is((await d.send("GET", "/api/state")).status, 401);
    const e = await paired(fw, base);
    const head = await e.send("HEAD", "/api/events");
    assert.is(head.status, 200);
    assert.match(String(head.headers["content-type"]), /text\/event-stream/);
  },
);

P("audio: whole or by byte range (as media elements ask); the state shown holds no recorder pid", async () => {
  const { a, fw, base } = await agentWithPage();
  await talk(a, fw);
  const c = await paired(fw, base);
  const id = a.agent.captures!.list()[0]!.id;
  const whole = await c.send("GET", `/api/captures/${id}/audio`);
  assert.is(whole.headers["accept-ranges"], "bytes");
  const part = await c.send("GET", `/api/captures/${id}/audio`, { headers: { range: "bytes=0-43" } });
  assert.is(part.status, 206);
  assert.is(part.headers["content-range"], `bytes 0-43/${whole.body.length}`);
  assert.equal(part.body, whole.body.subarray(0, 44));
  const tail = await c.send("GET", `/api/captures/${id}/audio`, { headers: { range: "bytes=-10" } });
  assert.equal(tail.body, whole.body.subarray(whole.body.length - 10));
  const beyond = await c.send("GET", `/api/captures/${id}/audio`, { headers: { range: `bytes=${whole.body.length}-` } });
  assert.is(beyond.status, 416);
  const state = (await c.send("GET", "/api/state")).json();
  assert.not.ok("micPid" in state);
  assert.equal(Object.keys(state.storage as object), ["ok"]);
});

P("sessions: revoked from the speaker's shell (spa page sessions revoke), the phone is out at once and its event stream ends", async () => {
  const { a, fw, base } = await agentWithPage();
  const c = await paired(fw, base);
  const events = await openEvents(c);
  const run = promisify(execFile);
  const env = { ...process.env, SPA_CONFIG: "" };
  const list = await run(process.execPath, ["bin/spa.mjs", "page", "sessions", "--socket", a.socketPath], { env });
  assert.match(list.stdout, /#1 +a browser/);
  const revoke = await run(process.execPath, ["bin/spa.mjs", "page", "sessions", "revoke", "1", "--socket", a.socketPath], { env });
  assert.match(revoke.stdout, /revoked 1/);
  await events.ended;
  assert.is((await c.send("GET", "/api/state")).status, 401);
  const pair = await run(process.execPath, ["bin/spa.mjs", "page", "pair", "--socket", a.socketPath], { env });
  const code = /code: (\d{6})/.exec(pair.stdout)?.[1];
  assert.ok(code, pair.stdout);
  assert.is((await new PageClient(base).pair(code!)).status, 200, "spa page pair's code pairs");
  const types = a.agent.ledger!.audit.list(20).map((e) => e.type);
  assert.ok(types.includes("page-paired") && types.includes("page-sessions-revoked"), types.join(","));
});

P("HTTPS: the device certificate covers the address, the cookie is Secure and __Host-; the certificate is kept across restarts", async () => {
  const { a, fw, base, ca } = await agentWithPage({ https: "always" });
  assert.match(base, /^https:\/\/127\.0\.0\.1:\d+\/$/);
  const x = new X509Certificate(ca!);
  assert.ok(x.checkIP("127.0.0.1"));
  assert.ok(x.checkHost("localhost"));
  assert.is(x.fingerprint256, a.agent.page!.fingerprint);
  const c = await paired(fw, base, ca);
  assert.match(c.cookie!, /^__Host-spa-session=/);
  const r = await c.send("GET", "/api/state");
  assert.is(r.status, 200);
  const set = await new PageClient(base, ca).send("GET", "/");
  assert.is(set.status, 200);
  assert.is(statSync(join(a.config.dataDir, "page", "key.pem")).mode & 0o777, 0o600, "the key is the agent's alone");
});

P("bound beyond loopback: always HTTPS, at this machine's own addresses, which its certificate covers", async () => {
  const { a, base, ca } = await agentWithPage({ bind: "0.0.0.0" });
  assert.match(base, /^https:\/\//);
  const x = new X509Certificate(ca!);
  for (const u of a.agent.page!.urls) assert.ok(x.checkIP(new URL(u).hostname.replace(/^\[|\]$/g, "")) ?? x.checkHost(new URL(u).hostname), u);
  const r = await new PageClient(base, ca).send("GET", "/api/state");
  assert.is(r.status, 401, "reached over the LAN address, certificate trusted");
});

P("a page that cannot listen (its port taken) is reported; the speaker runs on without it", async () => {
  const { createServer } = await import("node:net");
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
  running.push(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as { port: number }).port;
  const a = await startAgent({ mode: "near", page: { enabled: true, port } });
  running.push(() => a.stop());
  assert.ok(
    a.out.some((l) => l.startsWith(`household page: NOT serving (port ${port} is in use)`)),
    a.out.join("\n"),
  );
  assert.is(a.agent.page, null);
  const fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
  running.push(() => fw.stop());
  assert.is((await fw.request({ type: "mute" })).type, "ack", "the gate answers");
  const pair = await fw.request({ type: "page-pair" });
  assert.is((pair as { code?: string }).code, "PAGE_OFF");
});

P("fuzzed requests (paths, methods, headers, bodies) never crash the server, never answer 5xx, never show a stack trace", async () => {
  const { a, fw, base } = await agentWithPage();
  await talk(a, fw);
  const c = await paired(fw, base);
  const seg = fc.oneof(
    fc.constantFrom("api", "pair", "announce", "captures", "1", "audio", "export", "events", "..", "%2e%2e", "%00", "state", "consents", "mute", "delete"),
    fc.string({ maxLength: 12 }).map(encodeURIComponent),
  );
  const req = fc.record({
    method: fc.constantFrom("GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD", "TRACE"),
    path: fc.array(seg, { maxLength: 5 }).map((s) => "/" + s.join("/")),
    query: fc.option(fc.string({ maxLength: 20 }).map(encodeURIComponent)),
    body: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 }), fc.constant("x".repeat(5000))),
    type: fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-8", ""),
    withSession: fc.boolean(),
    withCsrf: fc.boolean(),
    extra: fc.option(
      fc.tuple(
        fc.constantFrom("host", "origin", "cookie", "content-length", "x-csrf-token", "range", "accept-encoding", "x-forwarded-for", "transfer-encoding"),
        fc.string({ maxLength: 40 }).map((v) => v.replace(/[^\x20-\x7e]/g, "")),
      ),
    ),
  });
  await fc.assert(
    fc.asyncProperty(req, async (r) => {
      const headers: Record<string, string> = {};
      if (r.type) headers["content-type"] = r.type;
      if (!r.withSession) headers.cookie = "";
      if (!r.withCsrf) headers["x-csrf-token"] = "";
      // One header set to anything printable (a lying length or a foreign host included).
      const extra = r.extra && r.extra[0] !== "content-length" && r.extra[0] !== "transfer-encoding" ? r.extra : null;
      if (extra) headers[extra[0]] = extra[1];
      // Never the calls that would end the run's own session or stream forever.
      const path = r.path + (r.query ? `?${r.query}` : "");
      if (/^\/api\/(logout|events)/.test(path)) return;
      const res = await c.send(r.method, path, { headers, body: r.body });
      assert.ok(res.status < 500, `${r.method} ${path} → ${res.status}`);
      assert.not.match(res.body.toString("latin1"), /\n\s+at .+\(.*:\d+:\d+\)|node:internal/, "no stack trace");
      // The server routes on the path as URL parsing normalises it ("/api/.." is the page itself;
      // "//" is no path at all: 400).
      const routed = URL.canParse(r.path, "http://page.invalid") ? new URL(r.path, "http://page.invalid").pathname : null;
      if (routed?.startsWith("/api") && !r.withSession && !extra) assert.is(res.status, 401, `${r.method} ${path} (routed as ${routed})`);
    }),
    { numRuns: 300 },
  );
  assert.is((await c.send("GET", "/api/state")).status, 200, "still serving");
});

/** The event stream's response (headers in), and a way to drop the connection. */
async function eventsResponse(c: PageClient): Promise<{ res: IncomingMessage; close(): void }> {
  const u = c.base;
  const req = request({ host: u.hostname, port: u.port, path: "/api/events", headers: { cookie: c.cookie! } });
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    req.on("error", reject);
    req.on("response", resolve);
    req.end();
  });
  return { res, close: () => void req.destroy() };
}

/** Opens the event stream and waits for its first state; collects its text until closed. */
async function openEvents(c: PageClient): Promise<{ text: string; ended: Promise<void>; close(): void }> {
  const { res, close } = await eventsResponse(c);
  const out = { text: "", ended: new Promise<void>((done) => res.on("close", () => done())), close };
  res.setEncoding("utf8");
  await new Promise<void>((resolve) =>
    res.on("data", (d: string) => {
      out.text += d;
      if (out.text.includes("event: state")) resolve();
    }),
  );
  return out;
}

P.run();
