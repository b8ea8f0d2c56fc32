/**
 * `spa`: the agent's command line. Exit codes: 0 success, 1 a user error (the one-line message
 * says what to fix), 2 an internal error.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { BridgeClient } from "../firmware-bridge/client.ts";
import { AgentError, asFileError, isAgentError, toError } from "./errors.ts";
import { createLogger } from "./log.ts";
import { Agent } from "./main.ts";
import { readWavAsPipeline } from "./audio/convert.ts";
import { encodeWav, readPcm16 } from "./audio/wav.ts";
import { cryptoUniform } from "./adapters/crypto-random.ts";
import { seededRandom } from "./adapters/seeded-random.ts";
import { openAgentDb } from "./ledger/agent-db.ts";
import { CaptureStore } from "./ledger/captures.ts";
import { mcadamsPcm16 } from "./privacy/mcadams.ts";
import { agentClient, cmdLedger } from "./cli-ledger.ts";
import { asLedgerError } from "./ledger/agent-db.ts";
import { cmdFleet, cmdPolicy } from "./cli-policy.ts";
import { createWebRtcVad } from "./audio/webrtc-vad.ts";
import { SpeechEmbedder } from "./wake/embedding.ts";
import { EmbeddingWakeEngine } from "./wake/embedding-engine.ts";
import { enrollKeyword, loadTemplates, saveTemplates } from "./wake/enroll.ts";
import { recordTakes } from "./audio/record-takes.ts";
import { MicSource } from "./audio/mic-source.ts";

const USER_ERRORS = new Set(["FILE_ERROR", "MIC_UNAVAILABLE", "RECORDER_EXITED", "ENROLL_REJECTED", "WAKE_MODEL_INVALID", "CONFIG_INVALID", "USAGE", "BRIDGE_SOCKET", "BRIDGE_TIMEOUT", "RECORDER_NOT_FOUND", "AUDIO_FORMAT", "AUDIO_FILE", "LEDGER_OPEN_FAILED", "BUTTONS_UNAVAILABLE", "UPLOAD_ENDPOINT_REFUSED"]);

const HELP: Record<string, string> = {
  main: `spa — speaker-privacy-agent

Usage: spa <command> [options]

Commands:
  start           run the agent (what 'npm start' runs)
  config check    validate a config file and print the resolved configuration
  bridge          send one firmware event to a running agent and print its reply
  wake detect     run the wake-word engine over WAV files and print each detection
  wake enroll     make personal wake-word templates from recordings of the phrase
  voice anonymize modify the voice in a WAV file the way captures are modified
  uploads         list the upload queue (no audio); 'uploads retry' sends it now
  history         what the speaker keeps, and when each capture expires
  play            write a kept capture's (voice-modified) audio as WAV
  delete          delete captures: --last, --today, --all or --id ID
  export          copy what is kept (JSON + WAV) into a directory
  wipe            delete everything the household left here (factory reset)
  audit           list privacy events; 'audit verify' checks the hash chain
  policy          operator tools: keygen, sign, push a fleet policy
  fleet status    the devices' applied policy versions and compliance

Run 'spa <command> --help' for a command's options.`,
  start: `Usage: spa start [--config FILE] [--set PATH=VALUE]...

Runs the agent: capture gate, firmware bridge socket, ledger. Stops cleanly on Ctrl-C
(SIGINT) or SIGTERM, closing the microphone first.

Options:
  --config FILE       JSON config (default: $SPA_CONFIG, else built-in defaults)
  --set PATH=VALUE    override one setting, e.g. --set gate.ledAckMs=500 (repeatable)
Environment:
  SPA_<PATH>          override a setting, e.g. SPA_BRIDGE_SOCKET_PATH=/run/spa.sock`,
  config: `Usage: spa config check FILE [--set PATH=VALUE]...

Validates FILE (plus SPA_* environment overrides and --set) and prints the resolved
configuration as JSON, or every problem with the path it is at and what is allowed.`,
  bridge: `Usage: spa bridge <event> [--socket PATH | --config FILE]

Events:
  status              print the agent's state
  mute | unmute       mute or unmute the microphone
  mute-for DURATION   mute for a while: 30m, 2h, 90s, or plain minutes (max 7 days)
  talk-down | talk-up press or release the push-to-talk button
  mode near|far       switch capture mode
  switch on|off       report the hardware mute switch position
  delete last|today|all   delete kept captures (their audio and queued uploads with them)
  training on|off     may uploads be used to train speech models (household choice)

Options:
  --socket PATH       bridge socket (default: from --config, $SPA_CONFIG or the defaults)
  --config FILE       take the socket path from this config
Prints the agent's reply as one JSON line; exit 0 on ack, 1 on nack.`,
  wake: `Usage: spa wake detect [--engine trained|template] [--templates DIR] [--model FILE] FILE.wav...
       spa wake enroll --keyword 天猫精灵|你好天猫 --out DIR A.wav B.wav C.wav [...]
       spa wake enroll --keyword K --out DIR --mic [--count 3] [--seconds 4] [--device D] [--recorder arecord]

detect: runs the wake-word engine over each file (a PCM or float WAV at any rate and channel
count: converted to the engine's 16 kHz mono first, with a note on stderr) and prints one JSON
object per line per detection: {"file": ..., "keyword": "天猫精灵", "atMs": 1234, "score": 0.81}
(atMs: where in the file the phrase was recognised). With --templates, the trained engine's
hits must also match those personal templates; --engine template uses the templates alone.
Exit 0 when every file was read.

enroll: at least 3 recordings of the phrase by the household member, each 16 kHz mono 16-bit
with 0.4-3 s of speech; writes DIR/templates.json (speech features only, never audio).
With --mic it records the takes itself, prompting before each; the recordings stay in memory.`,
  voice: `Usage: spa voice anonymize IN.wav OUT.wav [--alpha A] [--seed N]

Applies the McAdams voice modification that every kept capture gets before it is stored or
uploaded (VoicePrivacy B2: LPC order 20, pole angles φ → φ^α). IN is 16 kHz mono 16-bit.
Without --alpha, α is drawn uniformly from [0.5, 0.9] (by the OS CSPRNG, or reproducibly from
--seed) and not printed: like the agent, the tool does not reveal it.`,
  uploads: `Usage: spa uploads [--config FILE] [--json]
       spa uploads retry [--config FILE]

Lists the de-identified uploads waiting to be sent (upload id, capture time to the minute,
trigger, attempts, next attempt, last error) from the ledger; never audio.
retry: makes every queued upload due now. With the agent running it is told over the bridge
and sends at once; otherwise the queue is sent when the agent next starts.`,
};

function usage(message: string): never {
  throw new AgentError("USAGE", message);
}

/** Where an installed agent's config lives (scripts/speaker-privacy-agent.service). */
export const SYSTEM_CONFIG = "/etc/speaker-privacy-agent/config.json";

/**
 * The config file in force, and how it was chosen: --config, then $SPA_CONFIG, then the installed
 * config at SYSTEM_CONFIG (on a device, commands find the agent's ledger from anywhere), then
 * none (built-in defaults, relative to the working directory).
 */
export function configSource(file: string | undefined, env: Record<string, string | undefined>, systemConfig = SYSTEM_CONFIG): { path: string | null; how: string } {
  if (file) return { path: file, how: `--config ${file}` };
  if (env.SPA_CONFIG) return { path: env.SPA_CONFIG, how: `$SPA_CONFIG (${env.SPA_CONFIG})` };
  if (existsSync(systemConfig)) return { path: systemConfig, how: `the installed config ${systemConfig}` };
  return { path: null, how: `no config file (no --config, no $SPA_CONFIG, no ${systemConfig}): the default dataDir, relative to ${process.cwd()}` };
}

function resolveConfig(file: string | undefined, sets: string[]): Config {
  return resolveConfigWithSource(file, sets).config;
}

function resolveConfigWithSource(file: string | undefined, sets: string[]): { config: Config; how: string } {
  const env = process.env;
  const src = configSource(file, env);
  if (src.path && !existsSync(src.path)) usage(`config file ${src.path} does not exist`);
  const config = loadConfig({ file: src.path, env, sets });
  return { config, how: env.SPA_DATA_DIR ? `$SPA_DATA_DIR (${env.SPA_DATA_DIR})` : src.how };
}

/** "30m" | "2h" | "90s" | "15" (minutes) → minutes. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!m) usage(`cannot read duration '${text}': use e.g. 30m, 2h, 90s or a number of minutes`);
  const n = Number(m[1]);
  const minutes = m[2] === "s" ? n / 60 : m[2] === "h" ? n * 60 : m[2] === "d" ? n * 1440 : n;
  if (!(minutes >= 1 / 60) || minutes > 10080) usage(`duration '${text}' must be at least 1 second and at most 7 days`);
  return minutes;
}

export function bridgeRequest(args: string[]): Record<string, unknown> & { type: string } {
  const [event, arg] = args;
  const need = (allowed: string[]): string => {
    if (!arg || !allowed.includes(arg)) usage(`'spa bridge ${event}' needs one of: ${allowed.join(", ")}`);
    return arg;
  };
  switch (event) {
    case "status":
      return { type: "get-state" };
    case "mute":
      return { type: "mute" };
    case "unmute":
      return { type: "unmute" };
    case "mute-for":
      if (!arg) usage("'spa bridge mute-for' needs a duration, e.g. 30m");
      return { type: "mute-for", minutes: parseDuration(arg) };
    case "talk-down":
      return { type: "button", button: "talk", action: "down" };
    case "talk-up":
      return { type: "button", button: "talk", action: "up" };
    case "mode":
      return { type: "mode", mode: need(["near", "far"]) };
    case "switch":
      return { type: "mute-switch", state: need(["on", "off"]) };
    case "delete":
      return { type: "delete", scope: need(["last", "today", "all"]) };
    case "training":
      return { type: "training-use", allowed: need(["on", "off"]) === "on" };
    case undefined:
      return usage("'spa bridge' needs an event; see 'spa bridge --help'");
    default:
      return usage(`unknown bridge event '${event}'; see 'spa bridge --help'`);
  }
}

async function cmdStart(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: "string" }, set: { type: "string", multiple: true }, help: { type: "boolean" } }, strict: true });
  if (values.help) return print(HELP.start!);
  const config = resolveConfig(values.config, values.set ?? []);
  // Output that can fail without consequences: a closed stdout or stderr (EPIPE: the reader of
  // the pipe went away) must never throw into the agent or loop through its own error logging
  // (issue 14.11). Such a stream is dropped, and the agent stops as after a crash.
  const dead = new Set<NodeJS.WriteStream>();
  const write = (s: NodeJS.WriteStream, text: string): void => {
    if (dead.has(s) || s.destroyed) return;
    try {
      s.write(text);
    } catch {
      dead.add(s);
    }
  };
  const log = createLogger({ name: "spa", level: config.log.level, json: config.log.json, sink: { write: (l) => write(process.stderr, l) } });
  const agent = new Agent(config, { log, out: (l) => write(process.stdout, l + "\n"), env: process.env });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    write(process.stdout, `\n${signal}: stopping (microphone first)\n`);
    // Bounded: the microphone goes first inside stop(); whatever hangs after it does not keep
    // a stopping agent alive.
    setTimeout(() => {
      agent.exitNow();
      process.exit(0);
    }, STOP_DEADLINE_MS);
    void agent.stop().then(() => {
      write(process.stdout, "stopped\n");
      process.exit(0);
    });
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  // Last resort, fail closed: anything that escaped every boundary closes the mic and exits
  // non-zero, so the service manager restarts a clean agent (which boots muted if it was).
  // Once only: a crash while crashing (its own log line failing, say) changes nothing.
  let crashed = false;
  const crash = (e: unknown): void => {
    if (crashed) return;
    crashed = true;
    log.error("unexpected error; closing the microphone and exiting", { error: toError(e).message });
    setTimeout(() => {
      agent.exitNow();
      process.exit(2);
    }, STOP_DEADLINE_MS);
    void agent.stop().finally(() => process.exit(2));
  };
  for (const s of [process.stdout, process.stderr]) {
    s.on("error", (e: NodeJS.ErrnoException) => {
      dead.add(s);
      crash(new Error(`${s === process.stdout ? "stdout" : "stderr"} closed (${e.code ?? e.message})`));
    });
  }
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
  try {
    await agent.start();
  } catch (e) {
    await agent.stop();
    throw asLedgerError(e, join(resolve(config.dataDir), "agent.db"));
  }
  return new Promise<number>(() => undefined);
}

async function cmdConfig(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { set: { type: "string", multiple: true }, help: { type: "boolean" } }, allowPositionals: true, strict: true });
  if (values.help) return print(HELP.config!);
  const [sub, file] = positionals;
  if (sub !== "check") usage("usage: spa config check FILE");
  if (!file) usage("usage: spa config check FILE");
  if (!existsSync(file)) usage(`config file ${file} does not exist`);
  const config = loadConfig({ file, env: process.env, sets: values.set ?? [] });
  process.stdout.write(JSON.stringify(config, null, 2) + "\n");
  return 0;
}

async function cmdWake(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      engine: { type: "string", default: "trained" },
      model: { type: "string" },
      templates: { type: "string" },
      keyword: { type: "string" },
      out: { type: "string" },
      mic: { type: "boolean" },
      count: { type: "string", default: "3" },
      seconds: { type: "string", default: "4" },
      device: { type: "string" },
      recorder: { type: "string", default: "arecord" },
      help: { type: "boolean" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return print(HELP.wake!);
  const [sub, ...files] = positionals;
  if (sub !== "detect" && sub !== "enroll") usage("usage: spa wake detect|enroll ...; see 'spa wake --help'");
  if (sub === "enroll" && values.mic) {
    if (files.length) usage("give either --mic or WAV files, not both");
    const count = Number(values.count);
    const seconds = Number(values.seconds);
    if (!Number.isInteger(count) || count < 3 || count > 10) usage("--count must be 3 to 10");
    if (!(seconds >= 1 && seconds <= 10)) usage("--seconds must be 1 to 10");
    if (values.recorder !== "arecord" && values.recorder !== "sox" && values.recorder !== "rec") usage("--recorder must be arecord, sox or rec");
    const mic = new MicSource({ recorder: values.recorder, device: values.device ?? null, closeTimeoutMs: 200 });
    const takes = await recordTakes(mic, count, seconds, (t) => process.stdout.write(`take ${t}/${count}: say "${values.keyword ?? "?"}" now (${seconds} s)...\n`));
    try {
      return await enroll(values.keyword, values.out, takes.map((samples, i) => ({ name: `take ${i + 1}`, samples })));
    } finally {
      for (const t of takes) t.fill(0);
    }
  }
  if (files.length === 0) usage(`spa wake ${sub} needs WAV files`);
  const clips = files.map((f) => {
    if (!existsSync(f)) usage(`${f} does not exist`);
    // Enrollment takes only the pipeline's format (the clips become the household's templates);
    // detection reads any common PCM or float WAV and converts it, saying so on stderr.
    if (sub === "enroll") return { name: f, samples: readPcm16(readFileSync(f), f) };
    const { samples, from } = readWavAsPipeline(readFileSync(f), f);
    if (from) process.stderr.write(`spa: ${f}: converted from ${from} to 16000 Hz mono\n`);
    return { name: f, samples };
  });
  if (sub === "enroll") return enroll(values.keyword, values.out, clips);
  if (values.engine !== "trained" && values.engine !== "template") usage(`engine '${values.engine}' is not available here; use trained or template`);
  const templates = values.templates ? loadTemplates(values.templates) : null;
  if (values.templates && !templates) usage(`no templates.json in ${values.templates}`);
  if (values.engine === "template" && !templates) usage("--engine template needs --templates DIR");
  const engine = values.engine === "template" ? await EmbeddingWakeEngine.template(templates!) : await EmbeddingWakeEngine.trained(values.model, templates ?? undefined);
  try {
    for (const { name, samples } of clips) {
      for (const h of await engine.detect(samples)) {
        process.stdout.write(JSON.stringify({ file: name, keyword: h.keyword, atMs: h.atMs, score: Math.round(h.score * 1000) / 1000 }) + "\n");
      }
    }
  } finally {
    engine.close();
  }
  return 0;
}

async function enroll(keyword: string | undefined, out: string | undefined, clips: Array<{ name: string; samples: Int16Array }>): Promise<number> {
  if (keyword !== "天猫精灵" && keyword !== "你好天猫") usage("--keyword must be 天猫精灵 or 你好天猫");
  if (!out) usage("--out DIR is required");
  const embedder = await SpeechEmbedder.load();
  const vad = await createWebRtcVad(2);
  try {
    const kt = await enrollKeyword(embedder, vad, clips);
    const file = saveTemplates(out, keyword, kt);
    process.stdout.write(`enrolled ${clips.length} clips for ${keyword} (match threshold ${kt.threshold.toFixed(3)}) → ${file} (speech features only, no audio)\n`);
  } finally {
    vad.close();
    await embedder.close();
  }
  return 0;
}

async function cmdBridge(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { socket: { type: "string" }, config: { type: "string" }, help: { type: "boolean" }, timeout: { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return print(HELP.bridge!);
  const body = bridgeRequest(positionals);
  const socket = resolve(values.socket ?? resolveConfig(values.config, []).bridge.socketPath);
  const client = await BridgeClient.connect(socket, Number(values.timeout ?? 5000));
  try {
    const reply = await client.request(body);
    process.stdout.write(JSON.stringify(reply) + "\n");
    return reply.type === "ack" ? 0 : 1;
  } finally {
    client.close();
  }
}

async function cmdVoice(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { alpha: { type: "string" }, seed: { type: "string" }, help: { type: "boolean" } }, allowPositionals: true, strict: true });
  if (values.help || positionals.length === 0) return print(HELP.voice!);
  const [sub, input, output, ...extra] = positionals;
  if (sub !== "anonymize") usage(`unknown voice command '${sub}'; see 'spa voice --help'`);
  if (!input || !output || extra.length) usage("'spa voice anonymize' needs exactly IN.wav and OUT.wav");
  let alpha: number;
  if (values.alpha !== undefined) {
    alpha = Number(values.alpha);
    if (!(alpha >= 0.5 && alpha <= 1)) usage(`--alpha must be a number from 0.5 to 1 (1 = unchanged), got '${values.alpha}'`);
  } else {
    if (values.seed !== undefined && !/^\d+$/.test(values.seed)) usage(`--seed must be a non-negative integer, got '${values.seed}'`);
    const u = values.seed !== undefined ? seededRandom(Number(values.seed))() : cryptoUniform();
    alpha = 0.5 + 0.4 * u;
  }
  if (!existsSync(input)) usage(`${input} does not exist`);
  const samples = readPcm16(readFileSync(input), input);
  const { audio, mutedFrames } = mcadamsPcm16(samples, alpha);
  samples.fill(0);
  writeFileSync(output, encodeWav(audio));
  process.stdout.write(`wrote ${output}: ${(audio.length / 16000).toFixed(2)} s, voice modified (McAdams B2${values.alpha !== undefined ? `, α = ${alpha}` : ""})${mutedFrames ? `, ${mutedFrames} frames muted` : ""}\n`);
  return 0;
}

async function cmdUploads(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { config: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } }, allowPositionals: true, strict: true });
  if (values.help) return print(HELP.uploads!);
  const [sub, ...extra] = positionals;
  if (extra.length || (sub !== undefined && sub !== "retry")) usage(`unknown uploads command '${positionals.join(" ")}'; see 'spa uploads --help'`);
  const config = resolveConfig(values.config, []);
  if (sub === "retry") {
    const client = await agentClient(config);
    if (client) {
      try {
        const reply = await client.request({ type: "uploads-retry" });
        if (reply.type !== "ack") usage(`the agent refused: ${JSON.stringify(reply)}`);
        const d = reply.data as { queued: number; uploads: string };
        process.stdout.write(d.uploads === "on" ? `${d.queued} queued uploads are being sent now\n` : `${d.queued} queued uploads, but uploads are off in the running agent's config\n`);
        return 0;
      } finally {
        client.close();
      }
    }
    const db = openAgentDb(join(resolve(config.dataDir), "agent.db"));
    try {
      const n = new CaptureStore(db).retryNow(Date.now());
      process.stdout.write(`the agent is not running: ${n} queued uploads will be sent when it starts\n`);
    } finally {
      db.close();
    }
    return 0;
  }
  const file = join(resolve(config.dataDir), "agent.db");
  if (!existsSync(file)) {
    process.stdout.write(`no ledger at ${file} yet: nothing queued\n`);
    return 0;
  }
  const db = openAgentDb(file);
  try {
    const rows = new CaptureStore(db).queued().map((q) => {
      const e = JSON.parse(q.envelope) as { uploadId: string; capturedAt: string; trigger: string; durationMs: number };
      return { uploadId: e.uploadId, capturedAt: e.capturedAt, trigger: e.trigger, durationMs: e.durationMs, attempts: q.attempts, nextAttempt: new Date(q.nextAttemptAt).toISOString(), lastError: q.lastError };
    });
    if (values.json) {
      for (const r of rows) process.stdout.write(JSON.stringify(r) + "\n");
      return 0;
    }
    process.stdout.write(rows.length ? `${rows.length} uploads queued:\n` : "no uploads queued\n");
    for (const r of rows) {
      process.stdout.write(`  ${r.uploadId}  ${r.capturedAt}  ${r.trigger.padEnd(4)}  ${(r.durationMs / 1000).toFixed(1)} s  attempts ${r.attempts}  next ${r.nextAttempt}${r.lastError ? `  last error: ${r.lastError}` : ""}\n`);
    }
  } finally {
    db.close();
  }
  return 0;
}

function print(text: string): number {
  process.stdout.write(text + "\n");
  return 0;
}

/** A stopping agent exits after this even if some part of stop() hangs (the mic is closed first). */
const STOP_DEADLINE_MS = 8000;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  // `spa history | head`: the reader closing the pipe is the end of the output, not an error.
  // (`spa start` handles its streams itself.)
  if (cmd !== "start") {
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(0);
      throw e;
    });
  }
  try {
    switch (cmd) {
      case undefined:
      case "help":
      case "--help":
      case "-h":
        return print(HELP.main!);
      case "start":
        return await cmdStart(rest);
      case "config":
        return await cmdConfig(rest);
      case "bridge":
        return await cmdBridge(rest);
      case "wake":
        return await cmdWake(rest);
      case "voice":
        return await cmdVoice(rest);
      case "uploads":
        return await cmdUploads(rest);
      case "policy":
        return await cmdPolicy(rest, (t) => process.stdout.write(t));
      case "fleet":
        return await cmdFleet(rest, (t) => process.stdout.write(t));
      case "history":
      case "play":
      case "delete":
      case "export":
      case "wipe":
      case "audit":
        return await cmdLedger(
          cmd,
          rest,
          (file) => resolveConfigWithSource(file, []),
          (s) => process.stdout.write(s),
          (b) => process.stdout.write(b),
          process.stdout.isTTY === true,
        );
      default:
        usage(`unknown command '${cmd}'; run 'spa --help'`);
    }
  } catch (e) {
    // A file that cannot be written or read is the user's to fix: one line, the path, the cause.
    const err = toError(asFileError(e));
    const code = (err as NodeJS.ErrnoException).code;
    if (isAgentError(err) && USER_ERRORS.has(err.code)) {
      process.stderr.write(`spa: ${err.message}\n`);
      return 1;
    }
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" || code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" || code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      process.stderr.write(`spa: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`spa: internal error: ${err.stack ?? err.message}\n`);
    return 2;
  }
}
