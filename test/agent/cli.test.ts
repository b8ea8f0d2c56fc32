/** The spa command: help texts, exit codes, one-line user errors. */
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { bridgeRequest, parseDuration } from "../../agent/cli.ts";
import { isAgentError } from "../../agent/errors.ts";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readPcm16 } from "../../agent/audio/wav.ts";
import { tempDir } from "../helpers/tmp.ts";

const spa = (...args: string[]) => spawnSync(process.execPath, ["bin/spa.mjs", ...args], { encoding: "utf8", env: { ...process.env, SPA_CONFIG: "" } });
const C = suite("spa CLI");

C("--help lists every subcommand, and each has its own --help", () => {
  const main = spa("--help");
  assert.is(main.status, 0);
  for (const cmd of [
    "start",
    "config check",
    "bridge",
    "wake detect",
    "wake enroll",
    "voice anonymize",
    "uploads",
    "history",
    "play",
    "delete",
    "export",
    "wipe",
    "audit",
    "policy",
    "fleet status",
  ])
    assert.match(main.stdout, cmd);
  for (const cmd of [
    ["start"],
    ["config"],
    ["bridge"],
    ["wake"],
    ["voice"],
    ["uploads"],
    ["history"],
    ["play"],
    ["delete"],
    ["export"],
    ["wipe"],
    ["audit"],
    ["policy"],
    ["fleet"],
  ]) {
    const r = spa(...cmd, "--help");
    assert.is(r.status, 0, `${cmd.join(" ")} --help`);
    assert.match(r.stdout, /Usage: spa/);
  }
});

C("unknown commands and options are user errors (exit 1, one line)", () => {
  for (const args of [
    ["frobnicate"],
    ["start", "--nope"],
    ["config", "check"],
    ["bridge", "dance"],
    ["bridge", "mute-for", "soon"],
    ["bridge", "training", "maybe"],
    ["voice", "anonymize", "only-one.wav"],
    ["voice", "anonymize", "a.wav", "b.wav", "--alpha", "0.2"],
    ["voice", "anonymize", "a.wav", "b.wav", "--seed", "x"],
    ["voice", "anonymize", "/no/such.wav", "/tmp/out.wav"],
    ["voice", "shout", "a.wav", "b.wav"],
    ["uploads", "resend"],
    ["history", "extra"],
    ["play", "x", "--out", "/tmp/x.wav"],
    ["delete", "--id", "abc"],
    ["export"],
    ["audit", "prove"],
    ["history", "--yes"],
    ["policy", "sign", "p.json"],
    ["policy", "sign", "--key", "/nope.pem", "--version", "1", "p.json"],
    ["policy", "keygen"],
    ["policy", "push", "--broker", "mqtt://127.0.0.1:1", "/no/env.json"],
    ["policy", "launch"],
    ["fleet", "status", "--broker", "http://x"],
    ["fleet", "status", "--broker", "mqtt://broker.example:1883"],
    ["fleet", "census"],
  ]) {
    const r = spa(...args);
    assert.is(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^spa: /);
  }
});

C("spa bridge with no agent running says what to do", () => {
  const r = spa("bridge", "status", "--socket", "/tmp/spa-no-such-agent.sock");
  assert.is(r.status, 1);
  assert.match(r.stderr, /is the agent running/);
});

C("durations: 30m, 2h, 90s, plain minutes; nonsense and out-of-range refused", () => {
  assert.is(parseDuration("30m"), 30);
  assert.is(parseDuration("2h"), 120);
  assert.is(parseDuration("90s"), 1.5);
  assert.is(parseDuration("15"), 15);
  for (const bad of ["", "abc", "0", "8d", "-5m"]) {
    try {
      parseDuration(bad);
      assert.unreachable(bad);
    } catch (e) {
      assert.ok(isAgentError(e, "USAGE"), bad);
    }
  }
});

C("bridge events map to protocol requests", () => {
  assert.equal(bridgeRequest(["talk-down"]), { type: "button", button: "talk", action: "down" });
  assert.equal(bridgeRequest(["mode", "near"]), { type: "mode", mode: "near" });
  assert.equal(bridgeRequest(["mute-for", "30m"]), { type: "mute-for", minutes: 30 });
  assert.equal(bridgeRequest(["switch", "on"]), { type: "mute-switch", state: "on" });
  assert.equal(bridgeRequest(["training", "off"]), { type: "training-use", allowed: false });
  assert.throws(() => bridgeRequest(["training", "on"]), /spa consent grant training/, "on is a consent against a notice");
  assert.equal(bridgeRequest(["guardian-hours", "07:00-20:00@1-5", "19:00-02:00@5"]), {
    type: "guardian-hours",
    windows: [
      { days: [1, 2, 3, 4, 5], from: "07:00", to: "20:00" },
      { days: [5], from: "19:00", to: "02:00" },
    ],
  });
  assert.equal(bridgeRequest(["guardian-hours", "off"]), { type: "guardian-hours", windows: [] });
  assert.throws(() => bridgeRequest(["guardian-hours", "7-20"]), /HH:MM-HH:MM/);
  assert.throws(() => bridgeRequest(["mode", "sideways"]));
});

C("spa voice anonymize: a seed makes it reproducible, α changes the output, the WAV stays valid", () => {
  const dir = tempDir();
  try {
    const out = (n: string): string => join(dir.path, n);
    const run = (...a: string[]) => spa("voice", "anonymize", "test/fixtures/audio/speech-16k.wav", ...a);
    for (const [name, args] of [
      ["s1a", ["--seed", "7"]],
      ["s1b", ["--seed", "7"]],
      ["s2", ["--seed", "8"]],
      ["a8", ["--alpha", "0.8"]],
    ] as const) {
      const r = run(out(`${name}.wav`), ...args);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout, /voice modified/);
    }
    assert.not.match(spa("voice", "anonymize", "test/fixtures/audio/speech-16k.wav", out("r.wav"), "--seed", "7").stdout, /α/, "a drawn α is not printed");
    const s1a = readFileSync(out("s1a.wav"));
    assert.ok(s1a.equals(readFileSync(out("s1b.wav"))), "same seed, same output");
    assert.not.ok(s1a.equals(readFileSync(out("s2.wav"))), "another seed, another α");
    const input = readPcm16(readFileSync("test/fixtures/audio/speech-16k.wav"));
    const modified = readPcm16(readFileSync(out("a8.wav")));
    assert.is(modified.length, input.length);
    assert.ok(modified.some((v, i) => v !== input[i]));
    // Other rates and channel counts are converted as 'spa wake detect' converts them (issue 16).
    const cd = spawnSync("sox", ["test/fixtures/audio/speech-16k.wav", "-r", "22050", "-c", "2", out("cd.wav")]);
    assert.is(cd.status, 0);
    const conv = spa("voice", "anonymize", out("cd.wav"), out("cd-out.wav"), "--seed", "7");
    assert.is(conv.status, 0, conv.stderr);
    assert.match(conv.stderr, /converted from 22050 Hz/);
    assert.ok(Math.abs(readPcm16(readFileSync(out("cd-out.wav"))).length - input.length) <= 16, "16 kHz mono out");
  } finally {
    dir.remove();
  }
});

C("spa policy keygen and sign: a key pair, a signed envelope, schema errors named", () => {
  const dir = tempDir();
  try {
    const k = spa("policy", "keygen", "--out", dir.path);
    assert.is(k.status, 0, k.stderr);
    assert.match(k.stdout, /key id [0-9a-f]{16}/);
    assert.is(spa("policy", "keygen", "--out", dir.path).status, 1, "never overwrites a key");
    writeFileSync(join(dir.path, "p.json"), JSON.stringify({ retentionDays: 30 }));
    const s = spa("policy", "sign", "--key", join(dir.path, "policy-key.pem"), "--version", "4", join(dir.path, "p.json"));
    assert.is(s.status, 0, s.stderr);
    const env = JSON.parse(s.stdout) as { version: number; keyId: string; sig: string };
    assert.is(env.version, 4);
    assert.ok(k.stdout.includes(env.keyId));
    writeFileSync(join(dir.path, "bad.json"), JSON.stringify({ retentionDays: 365, colour: "red" }));
    const bad = spa("policy", "sign", "--key", join(dir.path, "policy-key.pem"), "--version", "5", join(dir.path, "bad.json"));
    assert.is(bad.status, 1);
    assert.match(bad.stderr, /retentionDays/);
    assert.match(bad.stderr, /colour[\s\S]*allowed: retentionDays, uploads, voiceModification/, "an unknown field lists the allowed ones");
    const signWith = (key: string) => spa("policy", "sign", "--key", key, "--version", "6", "config/policy.example.json");
    assert.is(signWith(join(dir.path, "policy-key.pem")).status, 0, "the example policy signs");
    const missing = signWith(join(dir.path, "nope.pem"));
    assert.is(missing.status, 1);
    assert.match(missing.stderr, /nope\.pem does not exist/);
    const pub = signWith(join(dir.path, "policy-key.pub.pem"));
    assert.is(pub.status, 1);
    assert.match(pub.stderr, /is a public key; sign with the private one/);
    assert.not.match(pub.stderr, /DECODER|error:/i, "no OpenSSL error text");
    writeFileSync(join(dir.path, "junk.pem"), "not a key");
    assert.match(signWith(join(dir.path, "junk.pem")).stderr, /is not a PEM Ed25519 private key/);
  } finally {
    dir.remove();
  }
});

C("spa uploads with no ledger yet, and retry with no agent running", () => {
  const dir = tempDir();
  try {
    const r = spa("uploads", "--set", `dataDir=${dir.path}/data`);
    assert.is(r.status, 1, "uploads takes --config, not --set");
    const cfg = join(dir.path, "c.json");
    writeFileSync(cfg, JSON.stringify({ dataDir: join(dir.path, "data"), bridge: { socketPath: join(dir.path, "no.sock") } }));
    const list = spa("uploads", "--config", cfg);
    assert.is(list.status, 0, list.stderr);
    assert.match(list.stdout, /nothing queued/);
    const retry = spa("uploads", "retry", "--config", cfg);
    assert.is(retry.status, 0, retry.stderr);
    assert.match(retry.stdout, /not running: 0 queued uploads/);
    assert.match(spa("uploads", "--config", cfg).stdout, /no uploads queued/);
  } finally {
    dir.remove();
  }
});

/** A stand-in agent on a Unix socket: acks every request and remembers its type. */
async function ackingSocket(path: string): Promise<{ types: string[]; close: () => Promise<void> }> {
  const types: string[] = [];
  const server = createServer((c) => {
    let buf = "";
    c.on("data", (d) => {
      buf += d.toString();
      for (let nl = buf.indexOf("\n"); nl !== -1; nl = buf.indexOf("\n")) {
        const msg = JSON.parse(buf.slice(0, nl)) as { id: unknown; type: string };
        buf = buf.slice(nl + 1);
        types.push(msg.type);
        c.write(JSON.stringify({ v: 1, type: "ack", id: msg.id }) + "\n");
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { types, close: () => new Promise((r) => server.close(() => r())) };
}

const spaAsync = (node: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(node, ["bin/spa.mjs", ...args], { env: { ...process.env, SPA_CONFIG: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });

C("compiled code is cached in a folder of the user's own (mode 0700), or in $NODE_COMPILE_CACHE; never a shared temp folder", async () => {
  const home = tempDir();
  try {
    const r = await spaAsync(process.execPath, ["--help"], { HOME: home.path, NODE_COMPILE_CACHE: "" });
    assert.is(r.status, 0, r.stderr);
    const dir = join(home.path, ".cache", "speaker-privacy-agent", "node-compile-cache");
    assert.is(statSync(dir).mode & 0o777, 0o700);
    assert.ok(readdirSync(dir).length > 0, "the cache was written");
    const own = join(home.path, "own-cache");
    assert.is((await spaAsync(process.execPath, ["--help"], { HOME: home.path, NODE_COMPILE_CACHE: own })).status, 0);
    assert.ok(readdirSync(own).length > 0, "$NODE_COMPILE_CACHE used");
  } finally {
    home.remove();
  }
});

C("spa bridge takes only the socket from the config: a wrong unrelated setting does not stop a mute", async () => {
  const dir = tempDir();
  const sock = join(dir.path, "b.sock");
  const agent = await ackingSocket(sock);
  try {
    const cfg = join(dir.path, "config.json");
    writeFileSync(cfg, JSON.stringify({ bridge: { socketPath: sock }, gate: { ledAckMs: "soon" } }));
    const r = await spaAsync(process.execPath, ["bridge", "mute", "--config", cfg]);
    assert.is(r.status, 0, r.stderr);
    assert.equal(agent.types, ["mute"]);
    // The environment override wins over the file, as in the agent.
    writeFileSync(cfg, JSON.stringify({ bridge: { socketPath: join(dir.path, "elsewhere.sock") } }));
    assert.is((await spaAsync(process.execPath, ["bridge", "unmute", "--config", cfg], { SPA_BRIDGE_SOCKET_PATH: sock })).status, 0);
    assert.equal(agent.types, ["mute", "unmute"]);
    // A file that is not JSON, or a socket path that is not a string, is still a clear error.
    writeFileSync(cfg, "{ not json");
    const bad = await spaAsync(process.execPath, ["bridge", "mute", "--config", cfg]);
    assert.is(bad.status, 1);
    assert.match(bad.stderr, cfg);
    writeFileSync(cfg, JSON.stringify({ bridge: { socketPath: 7 } }));
    const bad2 = await spaAsync(process.execPath, ["bridge", "mute", "--config", cfg]);
    assert.is(bad2.status, 1);
    assert.match(bad2.stderr, "bridge.socketPath");
  } finally {
    await agent.close();
    dir.remove();
  }
});

C("on a Node without type stripping (the machine's Node 20), spa runs itself under node_modules' Node 24", async () => {
  // Where the system node is new enough there is nothing to re-run; the check is then that spa
  // runs on it directly, which every other test here does.
  const old = ["/usr/bin/node", "/usr/local/bin/node"].find((n) => {
    const v = spawnSync(n, ["-p", "process.features.typescript ? 'strip' : process.versions.node"], { encoding: "utf8" });
    return v.status === 0 && v.stdout.trim() !== "strip";
  });
  if (!old) return;
  const help = await spaAsync(old, ["--help"]);
  assert.is(help.status, 0, help.stderr);
  assert.match(help.stdout, "Usage: spa");
  assert.is((await spaAsync(old, ["frobnicate"])).status, 1, "the child's exit code is passed on");
  const dir = tempDir();
  const sock = join(dir.path, "b.sock");
  const agent = await ackingSocket(sock);
  try {
    const r = await spaAsync(old, ["bridge", "mute", "--socket", sock]);
    assert.is(r.status, 0, r.stderr);
    assert.equal(agent.types, ["mute"]);
  } finally {
    await agent.close();
    dir.remove();
  }
});

C.run();
