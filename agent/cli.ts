/**
 * `spa`: the agent's command line. Exit codes: 0 success, 1 a user error (the one-line message
 * says what to fix), 2 an internal error.
 */
import type { AckData } from "../firmware-bridge/protocol/messages.ts";
import { HELP, LEDGER_HELP, POLICY_HELP } from "./cli-help.ts";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Config } from "../config/schema.ts";
import type { Templates } from "./wake/templates.ts";
import { parseWindow } from "./guardian/hours.ts";
import { DEFAULT_SOCKET_PATH } from "../config/defaults.ts";
import { AgentError, asFileError, isAgentError, toError } from "./errors.ts";

// Only what every command needs is imported here; each command loads its own modules (the agent,
// ONNX, SQLite, MQTT, zod) when it runs, so `spa --help` and `spa bridge …` start at once.

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
export function configSource(
  file: string | undefined,
  env: Record<string, string | undefined>,
  systemConfig = SYSTEM_CONFIG,
): { path: string | null; how: string } {
  if (file) return { path: file, how: `--config ${file}` };
  if (env.SPA_CONFIG) return { path: env.SPA_CONFIG, how: `$SPA_CONFIG (${env.SPA_CONFIG})` };
  if (existsSync(systemConfig)) return { path: systemConfig, how: `the installed config ${systemConfig}` };
  return { path: null, how: `no config file (no --config, no $SPA_CONFIG, no ${systemConfig}): the default dataDir, relative to ${process.cwd()}` };
}

async function resolveConfig(file: string | undefined, sets: string[]): Promise<Config> {
  return (await resolveConfigWithSource(file, sets)).config;
}

async function resolveConfigWithSource(file: string | undefined, sets: string[]): Promise<{ config: Config; how: string }> {
  const env = process.env;
  const src = configSource(file, env);
  if (src.path && !existsSync(src.path)) usage(`config file ${src.path} does not exist`);
  const { loadConfig } = await import("../config/load.ts");
  const config = loadConfig({ file: src.path, env, sets });
  return { config, how: env.SPA_DATA_DIR ? `$SPA_DATA_DIR (${env.SPA_DATA_DIR})` : src.how };
}

/**
 * The bridge socket of the config in force, read without validating the rest of the config: a
 * bridge command (a mute, above all) must reach the agent even when some unrelated setting in the
 * file is wrong, and it starts faster without the schema. Same precedence as the agent:
 * $SPA_BRIDGE_SOCKET_PATH, then the file's bridge.socketPath, then the default.
 */
export function bridgeSocketPath(file: string | undefined, env: Record<string, string | undefined>): string {
  if (env.SPA_BRIDGE_SOCKET_PATH) return env.SPA_BRIDGE_SOCKET_PATH;
  const src = configSource(file, env);
  if (!src.path) return DEFAULT_SOCKET_PATH;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(src.path, "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") usage(`config file ${src.path} does not exist`);
    throw new AgentError("CONFIG_INVALID", `${src.path}: ${toError(e).message}`);
  }
  const path = (json as { bridge?: { socketPath?: unknown } } | null)?.bridge?.socketPath;
  if (path === undefined) return DEFAULT_SOCKET_PATH;
  if (typeof path !== "string" || path === "") throw new AgentError("CONFIG_INVALID", `${src.path}: bridge.socketPath must be a non-empty string`);
  return path;
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
  const [event, arg, ...more] = args;
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
      // Turning it on is a consent against a notice: spa consent grant training shows it first.
      if (arg === "on") usage("turning training use on needs the household's consent to its notice: run 'spa consent grant training'");
      need(["off"]);
      return { type: "training-use", allowed: false };
    case "account-bind":
      return { type: "account-bind" };
    case "guardian-hours": {
      if (arg === "off" && more.length === 0) return { type: "guardian-hours", windows: [] };
      if (!arg) usage("'spa bridge guardian-hours' needs windows such as 07:00-20:00 or 07:00-21:00@1-5 (0 = Sunday), or 'off'");
      try {
        return { type: "guardian-hours", windows: [arg, ...more].map(parseWindow) };
      } catch (e) {
        return usage((e as Error).message);
      }
    }
    case undefined:
      return usage("'spa bridge' needs an event; see 'spa bridge --help'");
    default:
      return usage(`unknown bridge event '${event}'; see 'spa bridge --help'`);
  }
}

async function cmdStart(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: "string" }, set: { type: "string", multiple: true }, help: { type: "boolean" } },
    strict: true,
  });
  if (values.help) return print(HELP.start!);
  const config = await resolveConfig(values.config, values.set ?? []);
  const [
    { createLogger, LogRing },
    { Agent },
    { asLedgerError },
    { ServiceNotifier, systemdNotifySend },
    { SystemClock },
    { OffHeapCollector, v8MajorCollection },
  ] = await Promise.all([
    import("./log.ts"),
    import("./main.ts"),
    import("./ledger/agent-db.ts"),
    import("./adapters/systemd-notify.ts"),
    import("./adapters/system-clock.ts"),
    import("./adapters/off-heap-collector.ts"),
  ]);
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
  // The last log lines also stay in RAM, for a diagnostics bundle the household may choose to send.
  const logRing = new LogRing(300, { write: (l) => write(process.stderr, l) });
  const log = createLogger({ name: "spa", level: config.log.level, json: config.log.json, sink: logRing });
  const agent = new Agent(config, { log, logRing, out: (l) => write(process.stdout, l + "\n"), env: process.env });
  // Under systemd (Type=notify): READY=1 once the gate is up, watchdog pings from this loop.
  const clock = new SystemClock();
  const service = new ServiceNotifier(
    process.env,
    clock,
    systemdNotifySend((m) => log.warn("cannot notify the service manager", { error: m })),
  );
  // Dead audio buffers live outside V8's heap: collected when they pile up (needs --expose-gc).
  const offHeap = new OffHeapCollector({ clock, arrayBufferBytes: () => process.memoryUsage().arrayBuffers, collect: v8MajorCollection() });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    offHeap.stop();
    const told = service.stopping();
    write(process.stdout, `\n${signal}: stopping (microphone first)\n`);
    // Bounded: the microphone goes first inside stop(); whatever hangs after it does not keep
    // a stopping agent alive.
    setTimeout(() => {
      agent.exitNow();
      process.exit(0);
    }, STOP_DEADLINE_MS);
    void agent.stop().then(async () => {
      write(process.stdout, "stopped\n");
      // systemd hears STOPPING before the process is gone (bounded: it must not hold the exit).
      await Promise.race([told, new Promise((r) => setTimeout(r, 2000))]);
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
    offHeap.stop();
    void service.stopping();
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
  // A SIGTERM or a crash during start has already said STOPPING: no READY after it.
  if (!stopping && !crashed) {
    service.ready("microphone gate up; bridge listening");
    offHeap.start();
    if (offHeap.available) log.debug("off-heap collector on: dead audio buffers are collected when they pile up");
    else
      log.info(
        "node runs without --expose-gc: dead audio buffers are freed only when V8 next collects on its own (npm start and the systemd unit pass the flag)",
      );
  }
  return new Promise<number>(() => undefined);
}

async function cmdConfig(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { set: { type: "string", multiple: true }, help: { type: "boolean" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return print(HELP.config!);
  const [sub, file] = positionals;
  if (sub !== "check") usage("usage: spa config check FILE");
  if (!file) usage("usage: spa config check FILE");
  if (!existsSync(file)) usage(`config file ${file} does not exist`);
  const { loadConfig } = await import("../config/load.ts");
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
      person: { type: "string" },
      config: { type: "string" },
      keyword: { type: "string" },
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
  const [{ readWavAsPipeline }, { readPcm16 }, { EmbeddingWakeEngine }] = await Promise.all([
    import("./audio/convert.ts"),
    import("./audio/wav.ts"),
    import("./wake/embedding-engine.ts"),
  ]);
  if (sub !== "detect" && sub !== "enroll") usage("usage: spa wake detect|enroll ...; see 'spa wake --help'");
  if (sub === "enroll" && values.mic) {
    if (files.length) usage("give either --mic or WAV files, not both");
    const count = Number(values.count);
    const seconds = Number(values.seconds);
    if (!Number.isInteger(count) || count < 3 || count > 10) usage("--count must be 3 to 10");
    if (!(seconds >= 1 && seconds <= 10)) usage("--seconds must be 1 to 10");
    if (values.recorder !== "arecord" && values.recorder !== "sox" && values.recorder !== "rec") usage("--recorder must be arecord, sox or rec");
    const [{ MicSource }, { recordTakes }] = await Promise.all([import("./audio/mic-source.ts"), import("./audio/record-takes.ts")]);
    const mic = new MicSource({ recorder: values.recorder, device: values.device ?? null, closeTimeoutMs: 200 });
    const takes = await recordTakes(mic, count, seconds, (t) =>
      process.stdout.write(`take ${t}/${count}: say "${values.keyword ?? "?"}" now (${seconds} s)...\n`),
    );
    try {
      return await enroll(
        values.keyword,
        values.person,
        values.config,
        takes.map((samples, i) => ({ name: `take ${i + 1}`, samples })),
      );
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
  if (sub === "enroll") return enroll(values.keyword, values.person, values.config, clips);
  if (values.engine !== "trained" && values.engine !== "template") usage(`engine '${values.engine}' is not available here; use trained or template`);
  // Templates: the ledger's voiceprints whose consent is in force (one --person, or everyone's).
  const templates = values.person !== undefined || values.engine === "template" ? await consentedVoiceprints(values.config, values.person) : null;
  if (values.engine === "template" && !templates)
    usage(`no voiceprint with consent in force${values.person ? ` for ${values.person}` : ""}: spa consent grant voiceprint --person P, then spa wake enroll`);
  const engine =
    values.engine === "template" ? await EmbeddingWakeEngine.template(templates!) : await EmbeddingWakeEngine.trained(values.model, templates ?? undefined);
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

/** The ledger of the config in force, open for one voiceprint operation. */
async function withVoiceprints<T>(
  file: string | undefined,
  fn: (v: { store: import("./ledger/voiceprints.ts").VoiceprintStore; granted: (person: string) => boolean; config: Config }) => T,
): Promise<T> {
  const config = await resolveConfig(file, []);
  const [{ openAgentDb }, { VoiceprintStore }, { Consents }, { current }] = await Promise.all([
    import("./ledger/agent-db.ts"),
    import("./ledger/voiceprints.ts"),
    import("./ledger/consents.ts"),
    import("./consent/features.ts"),
  ]);
  const db = openAgentDb(join(resolve(config.dataDir), "agent.db"));
  try {
    const history = new Consents(db).history();
    const ctx = { operatorDefault: { uploads: false, training: false }, purposes: [] };
    return fn({ store: new VoiceprintStore(db), granted: (p) => current(history, "voiceprint", p, ctx).granted, config });
  } finally {
    db.close();
  }
}

async function consentedVoiceprints(file: string | undefined, person: string | undefined): Promise<Templates | null> {
  const { consentedTemplates } = await import("./wake/voiceprint-templates.ts");
  return withVoiceprints(file, ({ store, granted }) => consentedTemplates(store, (p) => (person === undefined || p === person) && granted(p)));
}

async function enroll(
  keyword: string | undefined,
  person: string | undefined,
  configFile: string | undefined,
  clips: Array<{ name: string; samples: Int16Array }>,
): Promise<number> {
  if (keyword !== "天猫精灵" && keyword !== "你好天猫") usage("--keyword must be 天猫精灵 or 你好天猫");
  if (!person || person.length > 40) usage("--person NAME is required (the household member whose voice this is; at most 40 characters)");
  // A voiceprint is biometric data: only with that person's consent in force (CON-10).
  const consented = await withVoiceprints(configFile, ({ granted }) => granted(person));
  if (!consented)
    usage(`${person} has not consented to a voiceprint: spa consent grant voiceprint --person ${person} (it shows the notice first), then enroll`);
  const [{ SpeechEmbedder }, { createWebRtcVad }, { enrollKeyword }] = await Promise.all([
    import("./wake/embedding.ts"),
    import("./audio/webrtc-vad.ts"),
    import("./wake/enroll.ts"),
  ]);
  const embedder = await SpeechEmbedder.load();
  const vad = await createWebRtcVad(2);
  try {
    const kt = await enrollKeyword(embedder, vad, clips);
    const socket = await withVoiceprints(configFile, ({ store, config }) => {
      store.save(person, keyword, kt, Date.now());
      return resolve(config.bridge.socketPath);
    });
    process.stdout.write(
      `enrolled ${clips.length} clips of ${keyword} for ${person} (match threshold ${kt.threshold.toFixed(3)}), encrypted in the ledger (speech features only, no audio)\n`,
    );
    // A running agent uses it from now on.
    try {
      const { BridgeClient } = await import("../firmware-bridge/client.ts");
      const client = await BridgeClient.connect(socket, 3000);
      await client.request({ type: "voiceprints" }).finally(() => client.close());
    } catch {
      process.stdout.write("(the agent is not running: it uses the voiceprint from its next start)\n");
    }
  } finally {
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
  const socket = resolve(values.socket ?? bridgeSocketPath(values.config, process.env));
  const { BridgeClient } = await import("../firmware-bridge/client.ts");
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
  const { values, positionals } = parseArgs({
    args: argv,
    options: { alpha: { type: "string" }, seed: { type: "string" }, help: { type: "boolean" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help || positionals.length === 0) return print(HELP.voice!);
  const [{ encodeWav }, { readWavAsPipeline }, { cryptoUniform }, { seededRandom }, { mcadamsPcm16 }] = await Promise.all([
    import("./audio/wav.ts"),
    import("./audio/convert.ts"),
    import("./adapters/crypto-random.ts"),
    import("./adapters/seeded-random.ts"),
    import("./privacy/mcadams.ts"),
  ]);
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
  const { samples, from } = readWavAsPipeline(readFileSync(input), input);
  if (from) process.stderr.write(`spa: ${input}: converted from ${from} to 16000 Hz mono\n`);
  const { audio, mutedFrames } = mcadamsPcm16(samples, alpha);
  samples.fill(0);
  writeFileSync(output, encodeWav(audio));
  process.stdout.write(
    `wrote ${output}: ${(audio.length / 16000).toFixed(2)} s, voice modified (McAdams B2${values.alpha !== undefined ? `, α = ${alpha}` : ""})${mutedFrames ? `, ${mutedFrames} frames muted` : ""}\n`,
  );
  return 0;
}

async function cmdUploads(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { config: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return print(HELP.uploads!);
  const [sub, ...extra] = positionals;
  if (extra.length || (sub !== undefined && sub !== "retry")) usage(`unknown uploads command '${positionals.join(" ")}'; see 'spa uploads --help'`);
  const config = await resolveConfig(values.config, []);
  const [{ agentClient }, { openAgentDb }, { CaptureStore }] = await Promise.all([
    import("./cli-ledger.ts"),
    import("./ledger/agent-db.ts"),
    import("./ledger/captures.ts"),
  ]);
  if (sub === "retry") {
    const client = await agentClient(config);
    if (client) {
      try {
        const reply = await client.request({ type: "uploads-retry" });
        if (reply.type !== "ack") usage(`the agent refused: ${JSON.stringify(reply)}`);
        const d = reply.data as AckData["uploads-retry"];
        process.stdout.write(
          d.uploads === "on"
            ? `${d.queued} queued uploads are being sent now\n`
            : `${d.queued} queued uploads, but uploads are off in the running agent's config\n`,
        );
        return 0;
      } finally {
        client.close();
      }
    }
    const db = openAgentDb(join(resolve(config.dataDir), "agent.db"));
    try {
      const n = new CaptureStore(db).uploads.retryNow(Date.now());
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
    const rows = new CaptureStore(db).uploads.queued().map((q) => {
      const e = JSON.parse(q.envelope) as { uploadId: string; capturedAt: string; trigger: string; durationMs: number };
      return {
        uploadId: e.uploadId,
        capturedAt: e.capturedAt,
        trigger: e.trigger,
        durationMs: e.durationMs,
        attempts: q.attempts,
        nextAttempt: new Date(q.nextAttemptAt).toISOString(),
        lastError: q.lastError,
      };
    });
    if (values.json) {
      for (const r of rows) process.stdout.write(JSON.stringify(r) + "\n");
      return 0;
    }
    process.stdout.write(rows.length ? `${rows.length} uploads queued:\n` : "no uploads queued\n");
    for (const r of rows) {
      process.stdout.write(
        `  ${r.uploadId}  ${r.capturedAt}  ${r.trigger.padEnd(4)}  ${(r.durationMs / 1000).toFixed(1)} s  attempts ${r.attempts}  next ${r.nextAttempt}${r.lastError ? `  last error: ${r.lastError}` : ""}\n`,
      );
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
  // `spa CMD --help` answers from the help texts alone, without loading the command's modules.
  const help = cmd === undefined ? undefined : [HELP, LEDGER_HELP, POLICY_HELP].find((t) => Object.hasOwn(t, cmd))?.[cmd];
  if (help !== undefined && (rest.includes("--help") || rest.includes("-h"))) return print(help);
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
      case "consent":
      case "diagnostics":
      case "page":
      case "voiceprints": {
        const socketOf = (socket: string | undefined, config: string | undefined): string => resolve(socket ?? bridgeSocketPath(config, process.env));
        const m = await import("./cli-consent.ts");
        const run = { consent: m.cmdConsent, diagnostics: m.cmdDiagnostics, page: m.cmdPage, voiceprints: m.cmdVoiceprints }[cmd];
        return await run(rest, socketOf, (t) => process.stdout.write(t));
      }
      case "policy":
        return await (await import("./cli-policy.ts")).cmdPolicy(rest, (t) => process.stdout.write(t));
      case "fleet":
        return await (await import("./cli-policy.ts")).cmdFleet(rest, (t) => process.stdout.write(t));
      case "history":
      case "play":
      case "delete":
      case "export":
      case "wipe":
      case "audit":
        return await (
          await import("./cli-ledger.ts")
        ).cmdLedger(
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
    const r = failure(e);
    process.stderr.write(r.text);
    return r.exitCode;
  }
}

/**
 * What a command that threw prints and exits with. The error code's blame decides: the user's
 * to fix (usage, config, files, devices, refusals) → one line and exit 1; ours → "internal
 * error" with the stack and exit 2. A file system error is the user's (the path and the cause).
 */
export function failure(e: unknown): { exitCode: 1 | 2; text: string } {
  const err = toError(asFileError(e));
  const code = (err as NodeJS.ErrnoException).code;
  if (isAgentError(err) && err.blame === "user") return { exitCode: 1, text: `spa: ${err.message}\n` };
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" || code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" || code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL")
    return { exitCode: 1, text: `spa: ${err.message}\n` };
  return { exitCode: 2, text: `spa: internal error: ${err.stack ?? err.message}\n` };
}
