/**
 * Composition root: the only place that builds real adapters. Starts components in dependency
 * order (ledger → audio → bridge → gate → simulator/buttons → status) and stops them in
 * reverse, closing the microphone first.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "../config/schema.ts";
import type { Request } from "../firmware-bridge/protocol/messages.ts";
import { BridgeServer, type Reply, type RequestHandler } from "../firmware-bridge/server.ts";
import { SystemClock } from "./adapters/system-clock.ts";
import { FileSource } from "./audio/file-source.ts";
import { MicSource } from "./audio/mic-source.ts";
import { createWebRtcVad } from "./audio/webrtc-vad.ts";
import { GateDriver } from "./capture/gate.driver.ts";
import { initialState, persisted, snapshot, type GateConfig } from "./capture/gate.machine.ts";
import { AgentError, toError } from "./errors.ts";
import { openAgentDb, type Db } from "./ledger/agent-db.ts";
import { DurableGateStore } from "./ledger/gate-store.ts";
import { StateFile } from "./ledger/state-file.ts";
import { StorageHealth } from "./ledger/storage-health.ts";
import type { CaptureStore } from "./ledger/captures.ts";
import { Ledger } from "./ledger/ledger.ts";
import { DAY_MS } from "./ledger/retention.ts";
import type { StartedPage } from "./page/start.ts";
import type { PageBackend } from "./page/server.ts";
import { cryptoUniform } from "./adapters/crypto-random.ts";
import { HotelSink, ProfileSink } from "./session/hotel-sink.ts";
import { ConsentRegistry } from "./consent/registry.ts";
import { purposeFeature } from "./consent/features.ts";
import { buildBundle, CATEGORIES } from "./diagnostics/bundle.ts";
import { mayConfirm, nextState, overdue } from "./diagnostics/lifecycle.ts";
import type { Uploader } from "./ports/uploader.ts";
import { hostname } from "node:os";
import { GuardianSchedule, type GuardianWindow } from "./guardian/hours.ts";
import { GuardianHoursSchema } from "./guardian/schema.ts";
import { consentedTemplates, migrateTemplateFolder, MIGRATED_PERSON } from "./wake/voiceprint-templates.ts";
import type { Templates } from "./wake/templates.ts";
import { decideCheckout } from "./policy/checkout.ts";
import type { CommandModel } from "./hotel/recogniser.ts";
import type { SpeechFeatures } from "./wake/embedding.ts";
import { VoiceSink } from "./session/voice-sink.ts";
import { UploadWorker } from "./upload/worker.ts";
import { PolicyEngine, type EffectivePolicy } from "./policy/engine.ts";
import { PolicyService } from "./policy/service.ts";
import type { Keyword, WakeHit } from "./ports/wake-engine.ts";
import { registerSecret, type Logger } from "./log.ts";
import type { AudioSource } from "./ports/audio-source.ts";
import type { Clock } from "./ports/clock.ts";
import type { WakeEngine } from "./ports/wake-engine.ts";
import type { EvdevButtons } from "../firmware-bridge/evdev.ts";
import type { FakeFirmware } from "../firmware-bridge/sim/fake-firmware.ts";
import { StatusPrinter } from "./status.ts";
import { handle } from "./handlers/index.ts";
import { framesFor, Millis, type Timestamp } from "./units.ts";

export const PACKAGE_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
/** This agent's version (package.json), read when a diagnostics bundle needs it, not at every start. */
const agentVersion = (): string => (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;
export const DEMO_RECORDING = join(PACKAGE_ROOT, "agent/audio/demo-household.wav");
/** A guest room's demo (scripts/make-hotel-demo.ts): two requests, a chat after a wake word, talk without one. */
export const DEMO_HOTEL_RECORDING = join(PACKAGE_ROOT, "agent/audio/demo-hotel.wav");

export interface AgentIo {
  log: Logger;
  /** Human-readable status lines (stdout). */
  out: (line: string) => void;
  env: Record<string, string | undefined>;
  clock?: Clock;
  /** The last log lines, kept in RAM (a diagnostics bundle takes them, redacted). */
  logRing?: { lines(): string[] };
}

export function gateConfigFrom(c: Config["gate"]): GateConfig {
  return {
    ledAckMs: Millis(c.ledAckMs),
    trailingSilenceFrames: framesFor(Millis(c.trailingSilenceMs)),
    falseWakeFrames: framesFor(Millis(c.falseWakeWindowMs)),
    minSpeechFrames: framesFor(Millis(c.minSpeechMs)),
    maxSessionFrames: framesFor(Millis(c.maxSessionSeconds * 1000)),
    maxHoldMs: Millis(c.maxHoldSeconds * 1000),
    retryMs: Millis(c.retryMs),
  };
}

/** True if `cmd` is an executable on PATH. */
/** Where the household's enrolled wake-word templates live. */
export function templatesDirOf(config: Config): string {
  return config.wake.templates.dir ?? join(resolve(config.dataDir), "wake-templates");
}

export function onPath(cmd: string, env: Record<string, string | undefined>): boolean {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      /* keep looking */
    }
  }
  return false;
}

/** Picks the audio source and says why, in one line for the status output. */
export function chooseSource(config: Config, env: Record<string, string | undefined>): { source: AudioSource; banner: string } {
  const a = config.audio;
  const file = resolve(a.file ?? (config.profile === "hotel" ? DEMO_HOTEL_RECORDING : DEMO_RECORDING));
  const fileSource = (): FileSource => new FileSource({ path: file, pacing: a.pacing, loop: a.loop });
  const mic = (): MicSource => new MicSource({ recorder: a.recorder, device: a.device, closeTimeoutMs: a.closeTimeoutMs });
  if (a.source === "mic") return { source: mic(), banner: `microphone: ${a.recorder} on ${a.device ?? "the default device"}` };
  if (a.source === "file") return { source: fileSource(), banner: `audio file: ${file} (${a.pacing}${a.loop ? ", looping" : ""})` };
  if (a.device && onPath(a.recorder, env)) return { source: mic(), banner: `microphone: ${a.recorder} on ${a.device}` };
  const why = a.device ? `recorder '${a.recorder}' is not installed` : "no microphone configured (audio.device is null)";
  return {
    source: fileSource(),
    banner:
      `${why}: replaying ${a.file ? file : `the bundled demo ${config.profile === "hotel" ? "guest-room" : "household"} recording`} in ${a.pacing === "realtime" ? "real time" : "unpaced mode"} instead` +
      `${a.loop ? ", over and over" : ""}; ` +
      (config.profile === "hotel"
        ? "a recognised catalogue command is forwarded, any other session dropped unrecorded (hotel profile)"
        : `its wake words are captured and kept like a household's (${config.retention.maxCaptures > 0 ? `at most ${config.retention.maxCaptures}, the oldest removed first` : `each for up to ${config.retention.days} days`}: retention.maxCaptures)`),
  };
}

/**
 * The configured wake-word engine, or null. A failure to load is not fatal and never opens
 * far-field capture with nothing behind it: the gate stays near-field only and says why.
 */
export async function createWakeEngine(config: Config, io: AgentIo, voiceprints: () => Templates | null = () => null): Promise<WakeEngine | null> {
  // Each engine's module (ONNX, Porcupine) is loaded only when it is the one configured.
  const start = async (engine: "trained" | "template" | "porcupine" | "none"): Promise<WakeEngine | null> => {
    if (engine === "none") return null;
    if (engine === "template") {
      const { EmbeddingWakeEngine } = await import("./wake/embedding-engine.ts");
      const t = voiceprints();
      if (!t)
        throw new AgentError(
          "WAKE_ENGINE_UNAVAILABLE",
          "no voiceprint with consent in force (spa consent grant voiceprint --person P, then spa wake enroll --person P)",
        );
      return EmbeddingWakeEngine.template(t);
    }
    if (engine === "porcupine") {
      const { PorcupineWakeEngine } = await import("./wake/porcupine-engine.ts");
      const p = config.wake.porcupine;
      return PorcupineWakeEngine.create(
        {
          keywordPaths: { 天猫精灵: p.tianmaoJinglingPath, 你好天猫: p.nihaoTianmaoPath },
          modelPath: p.modelPath,
          sensitivity: p.sensitivity,
          accessKeyFile: p.accessKeyFile,
        },
        io.env,
      );
    }
    const second = config.wake.templates.secondStage ? voiceprints() : null;
    if (config.wake.templates.secondStage && !second)
      io.out("wake-word engine: no voiceprint with consent in force; the second stage waits for one (spa wake enroll --person P)");
    const { EmbeddingWakeEngine } = await import("./wake/embedding-engine.ts");
    // With the second stage on, it is there even while empty: a voiceprint enrolled later joins it.
    return EmbeddingWakeEngine.trained(config.wake.model ?? undefined, config.wake.templates.secondStage ? (second ?? {}) : undefined);
  };
  const describe = (e: WakeEngine | null): string => (e ? `${e.name}` : "none, so far-field listening is off; the talk button still captures");
  try {
    const engine = await start(config.wake.engine);
    io.out(`wake-word engine: ${describe(engine)}`);
    return engine;
  } catch (e) {
    // Never open far-field capture with nothing behind it: fall back, and say why.
    const msg = toError(e).message;
    io.log.error("wake-word engine failed to start", { engine: config.wake.engine, error: msg });
    io.out(`wake-word engine: ${config.wake.engine} FAILED (${msg}); falling back to ${config.wake.fallback}`);
    try {
      const engine = await start(config.wake.fallback);
      io.out(`wake-word engine: ${describe(engine)}`);
      return engine;
    } catch (e2) {
      io.log.error("fallback wake-word engine failed too", { error: toError(e2).message });
      io.out(`wake-word engine: fallback ${config.wake.fallback} FAILED too; far-field listening is off, the talk button still captures`);
      return null;
    }
  }
}

/** The configured uploader, or null when uploads are off. Bad endpoints fail the start. */
/** Drops wake hits for keywords the effective policy does not allow. */
function filteredWake(engine: WakeEngine, allowed: () => readonly Keyword[]): WakeEngine {
  return {
    name: engine.name,
    frameLength: engine.frameLength,
    process: (frame: Int16Array, speech: boolean): WakeHit | null => {
      const hit = engine.process(frame, speech);
      return hit && allowed().includes(hit.keyword) ? hit : null;
    },
    reset: () => engine.reset(),
    close: () => engine.close(),
  };
}

import { createUploader } from "./upload/create.ts";
import { loadTrustedKeys } from "./policy/trusted-keys.ts";
import {
  CHECKOUT_FLOOR_SETTING,
  GUARDIAN_HOURS_SETTING,
  POLICY_SETTING,
  POLICY_FLOOR_SETTING,
  POLICY_SOURCE_SETTING,
  PROFILE_SETTING,
} from "./ledger/settings.ts";
export { createUploader, loadTrustedKeys, POLICY_SETTING, POLICY_FLOOR_SETTING, POLICY_SOURCE_SETTING };

export class Agent {
  #db: Db | null = null;
  #consents: ConsentRegistry | null = null;
  #guardian: GuardianSchedule | null = null;
  #voiceprints: () => Templates | null = () => null;
  #uploads: UploadWorker | null = null;
  #ledger: Ledger | null = null;
  #policy: PolicyService | null = null;
  #clock: Clock | null = null;
  #uploader: Uploader | null = null;
  #engine: PolicyEngine | null = null;
  #bridge: BridgeServer | null = null;
  #driver: GateDriver | null = null;
  #sim: FakeFirmware | null = null;
  #buttons: EvdevButtons | null = null;
  #status: StatusPrinter | null = null;
  #source: AudioSource | null = null;
  #wake: WakeEngine | null = null;
  #stopping: Promise<void> | null = null;
  #page: StartedPage | null = null;
  #store: DurableGateStore | null = null;
  /**
   * The bridge connection that reports the hardware mute switch (issue 14.13): the first to
   * report a position owns it while it stays connected; no other client can move the switch.
   */
  #switchOwner: number | null = null;
  /** Whether storage takes what the agent writes (reported, never in the way of a mute). */
  readonly storage = new StorageHealth();

  readonly config: Config;
  #hotelNow: () => boolean = () => false;
  /** The profile in force: hotel by the config or by the fleet's policy, a child's speaker by the config, else household. */
  profile(): "household" | "hotel" | "child" {
    return this.#hotelNow() ? "hotel" : this.config.profile === "child" ? "child" : "household";
  }
  readonly io: AgentIo;
  constructor(config: Config, io: AgentIo) {
    this.config = config;
    this.io = io;
  }

  get driver(): GateDriver | null {
    return this.#driver;
  }

  get captures(): CaptureStore | null {
    return this.#ledger?.captures ?? null;
  }

  /** Builds a redacted bundle for a fault and keeps it (unsent) in the ledger; its categories are what the household is shown. */
  #prepareDiagnostics(fault: string, at: number): { bundle: number; categories: string[]; bytes: number } {
    const ledger = this.#ledger!;
    const c = this.config;
    const weekAgo = at - 7 * 86_400_000;
    const eventCounts: Record<string, number> = {};
    for (const e of ledger.audit.list(10_000)) if (e.at >= weekAgo) eventCounts[e.type] = (eventCounts[e.type] ?? 0) + 1;
    const bundle = buildBundle({
      fault,
      at,
      versions: { agent: agentVersion(), node: process.version },
      settings: {
        mode: c.mode,
        profile: this.profile(),
        wake: { engine: c.wake.engine, keywords: c.wake.keywords, secondStage: c.wake.templates.secondStage },
        gate: c.gate,
        retention: { days: c.retention.days, maxCaptures: c.retention.maxCaptures },
        upload: { kind: c.upload.kind },
        fleetPolicyVersion: this.#engine?.effective().version ?? 0,
      },
      counters: { ...(this.#driver?.counters ?? {}) },
      storage: this.storage.report(),
      eventCounts,
      logLines: this.io.logRing?.lines() ?? [],
      ids: { exact: [c.device.id, c.device.serial, c.device.accountId, hostname(), ...ledger.voiceprints.people()] },
    });
    const id = ledger.diagnostics.add(fault, [...CATEGORIES], bundle, at);
    ledger.audit.append(at, "diagnostics", { bundle: id, state: "prepared" });
    return { bundle: id, categories: [...CATEGORIES], bytes: Buffer.byteLength(bundle) };
  }

  /** The household's one-time confirmation: sends the bundle (async) and deletes the local copy once it is delivered. */
  #confirmDiagnostics(id: number, fault: string, at: number): { code: "REFUSED" | "CONSENT_REQUIRED"; message: string } | null {
    const ledger = this.#ledger!;
    const no = mayConfirm(ledger.diagnostics.get(id), fault, this.#consents!.granted("diagnostics"));
    if (no) return no;
    const uploader = this.#uploader;
    if (!uploader?.sendDiagnostics) return { code: "REFUSED", message: "no upload receiver is configured for diagnostics (upload.kind is off)" };
    const bundle = ledger.diagnostics.bundle(id)!;
    // Marked at once, so a second confirmation cannot send it twice.
    ledger.diagnostics.setState(id, "sent", at);
    void uploader.sendDiagnostics(bundle).then(
      () => {
        ledger.diagnostics.sent(id, this.#clock!.now());
        ledger.audit.append(this.#clock!.now(), "diagnostics", { bundle: id, state: "sent" });
      },
      (e: unknown) => {
        // Not delivered: back to prepared; the household may confirm again.
        ledger.diagnostics.setState(id, "prepared", this.#clock!.now());
        ledger.audit.append(this.#clock!.now(), "diagnostics", { bundle: id, state: "send-failed" });
        this.io.log.warn("diagnostics bundle not delivered", { error: toError(e).message });
      },
    );
    return null;
  }

  /** Upstream deletions overdue (24 h after debugging was complete): an alert, once per bundle, in the audit and on the state topic. */
  #checkDiagnostics(): void {
    const ledger = this.#ledger;
    if (!ledger) return;
    const now = this.#clock!.now();
    const late = overdue(ledger.diagnostics.list(), now).filter((r) => !r.overdueReported);
    for (const r of late) {
      ledger.diagnostics.markOverdueReported(r.id);
      ledger.audit.append(now, "diagnostics-overdue", { bundle: r.id, debugCompleteAt: r.debugCompleteAt });
      this.io.log.warn("a diagnostics bundle's upstream deletion is overdue (debugging complete more than 24 h ago)", { bundle: r.id });
    }
    if (late.length) this.#policy?.publishState();
  }

  /** Gives the wake engine the voiceprints whose consent is in force (after an enrolment, a deletion or a consent change). */
  refreshVoiceprints(): void {
    const w = this.#wake as { setTemplates?: (t: Templates | null) => void } | null;
    w?.setTemplates?.(this.#voiceprints());
  }

  /** The household's consent registry (once started). */
  get consents(): ConsentRegistry | null {
    return this.#consents;
  }
  get ledger(): Ledger | null {
    return this.#ledger;
  }

  get policy(): PolicyService | null {
    return this.#policy;
  }

  /** The policy in force: code caps ∩ household ∩ fleet. */
  effective(): EffectivePolicy | null {
    return this.#engine?.effective() ?? null;
  }

  /** The household page, when it is on (its addresses and server). */
  get page(): StartedPage | null {
    return this.#page;
  }

  get uploads(): UploadWorker | null {
    return this.#uploads;
  }

  async start(): Promise<void> {
    const { config, io } = this;
    const log = io.log;
    const clock = io.clock ?? new SystemClock();
    this.#clock = clock;
    // Identifiers the agent knows never appear in a log line (nor in uploads: see upload/envelope.ts).
    for (const v of [config.device.id, config.device.serial, config.device.accountId]) registerSecret(v);
    const { source, banner } = chooseSource(config, io.env);
    io.out(banner);
    if (source instanceof FileSource) await source.load();
    this.#source = source;

    const dataDir = resolve(config.dataDir);
    const dbPath = join(dataDir, "agent.db");
    const statePath = join(dataDir, "gate.state");
    // A ledger that vanished or was emptied while the mute state file says this speaker has run
    // before is not a first start (issue 14.12): the household's choices in it are gone, so the
    // agent boots muted, with training use off, and says so.
    const ledgerGone =
      existsSync(statePath) && (!existsSync(dbPath) || statSync(dbPath).size === 0)
        ? `${dbPath} is ${existsSync(dbPath) ? "empty" : "missing"} although this speaker has run before`
        : null;
    const db = openAgentDb(dbPath);
    this.#db = db;
    if (config.policy.mqtt.url && !config.device.id)
      throw new AgentError("CONFIG_INVALID", "policy.mqtt.url is set: device.id is needed for the device's topics");
    const trusted = loadTrustedKeys(config.policy);
    // Filled in below, once the ledger (which holds the household's persisted choices) is open.
    let household = (): { trainingUse: boolean; uploads: boolean } => ({ trainingUse: config.privacy.trainingUse, uploads: true });
    const engine = new PolicyEngine({
      trusted,
      now: () => clock.now(),
      household: () => ({
        retentionDays: config.retention.days,
        uploads: config.upload.kind !== "off" && household().uploads,
        trainingUse: household().trainingUse,
        alphaMin: config.privacy.alphaMin,
        alphaMax: config.privacy.alphaMax,
        wakeWords: config.wake.keywords,
        child: config.profile === "child",
      }),
    });
    this.#engine = engine;
    const ledger = new Ledger(db, clock, {
      retentionDays: () => engine.effective().retentionDays,
      purgeIntervalMs: config.retention.purgeIntervalMinutes * 60_000,
      maxCaptures: config.retention.maxCaptures,
      auditKeepDays: config.retention.auditKeepDays,
      pageSessionDays: config.page.sessionDays,
      log: log.child("ledger"),
      health: this.storage,
    });
    this.#ledger = ledger;
    // A hotel room by the config, or by the fleet's policy (which may only add it).
    const hotelNow = (): boolean => config.profile === "hotel" || engine.effective().hotel;
    this.#hotelNow = hotelNow;
    let sinkRef: ProfileSink | null = null;
    const store = new DurableGateStore(db, new StateFile(statePath), {
      clock,
      log: log.child("gate-store"),
      health: this.storage,
      audit: ledger.audit,
      quietSessions: () => sinkRef?.quiet(clock.now()) ?? hotelNow(),
    });
    this.#store = store;
    const captures = ledger.captures;
    // The household's choices (agent/consent): a withdrawal stops what it covers at once.
    const consents = new ConsentRegistry({
      store: ledger.consents,
      // The applied policy's purposes directly: effective() itself reads the household's choices.
      context: () => ({
        operatorDefault: { uploads: config.upload.kind !== "off", training: config.privacy.trainingUse },
        purposes: engine.applied?.policy.purposes ?? [],
        child: config.profile === "child",
      }),
      now: () => clock.now(),
      audit: (type, data) => ledger.audit.append(clock.now(), type, data),
      withdraw: (e) => {
        if (e.kind === "cancel-queued-uploads") return captures.uploads.dropAll();
        if (e.kind === "untrain-queued-uploads") return captures.uploads.untrainAll();
        if (e.kind === "delete-voiceprints") return ledger.voiceprints.deletePerson(e.person);
        if (e.kind === "delete-diagnostics") return ledger.diagnostics.discardPrepared();
        return 0;
      },
      people: () => ledger.voiceprints.people(),
      // A voiceprint granted or withdrawn: the wake engine uses exactly the consented ones from the next frame.
      changed: (r) => {
        if (r.feature === "voiceprint") this.refreshVoiceprints();
      },
    });
    this.#consents = consents;
    // Voiceprints (biometric data) live encrypted in the ledger; a folder from before moves in once.
    try {
      const moved = migrateTemplateFolder(templatesDirOf(config), ledger.voiceprints, clock.now());
      if (moved.length) {
        ledger.audit.append(clock.now(), "voiceprints-migrated", { sets: moved.length });
        io.out(
          `voiceprints: ${moved.length} template set(s) moved from ${templatesDirOf(config)} into the ledger (encrypted); unused until someone consents: spa consent grant voiceprint --person ${MIGRATED_PERSON}`,
        );
      }
    } catch (e) {
      io.out(`voiceprints: could not move ${templatesDirOf(config)} into the ledger (${toError(e).message}); left in place, not used`);
    }
    this.#voiceprints = () => consentedTemplates(ledger.voiceprints, (person) => consents.granted("voiceprint", person));
    // A fleet purpose is inert until the household grants it (CON-02): only granted ones are named in uploads.
    const grantedPurposes = (): string[] => (engine.applied?.policy.purposes ?? []).filter((p) => consents.granted(purposeFeature(p.id))).map((p) => p.id);
    household = () => ({ trainingUse: consents.granted("training"), uploads: consents.granted("uploads") });
    const gateConfig = gateConfigFrom(config.gate);
    const baseGate = { ...gateConfig };
    let driverRef: GateDriver | null = null;
    // Entering or leaving hotel mode is audited; the profile the agent last ran in is in the ledger.
    const syncProfile = (): void => {
      const now = hotelNow() ? "hotel" : "household";
      const last = captures.settings.get(PROFILE_SETTING) ?? "household";
      if (now === last) return;
      const eff = engine.effective();
      ledger.audit.append(clock.now(), "profile", { from: last, to: now, config: config.profile, fleet: eff.hotel, policyVersion: eff.version });
      captures.settings.set(PROFILE_SETTING, now, clock.now());
      sinkRef?.changed(now === "hotel", clock.now());
      log.info(`profile: ${now}`);
    };
    // A hotel's check-out order (policy/checkout.ts): everything a guest may have left, wiped.
    const checkout = (text: string): ReturnType<typeof decideCheckout> => {
      const at = clock.now();
      const floor = Number(captures.settings.get(CHECKOUT_FLOOR_SETTING) ?? 0);
      const d = decideCheckout(text, { trusted, deviceId: config.device.id ?? "", floor, hotel: hotelNow(), now: at });
      if (!d.ok) return d;
      sinkRef?.cancelInFlight();
      const r = ledger.wipe(templatesDirOf(config), "defaults");
      captures.settings.set(CHECKOUT_FLOOR_SETTING, String(d.seq), at);
      syncProfile();
      ledger.audit.append(at, "checkout", { seq: d.seq, captures: r.count });
      ledger.retentionChanged();
      this.#uploads?.kick();
      log.info("hotel check-out: everything a guest may have left is wiped", { seq: d.seq, captures: r.count });
      return d;
    };
    // Applies the effective policy to everything it governs (at boot and after each change).
    const applyPolicy = (): void => {
      const eff = engine.effective();
      syncProfile();
      ledger.retentionChanged();
      gateConfig.maxSessionFrames = Math.min(
        baseGate.maxSessionFrames,
        eff.maxSessionSeconds !== null ? framesFor(Millis(eff.maxSessionSeconds * 1000)) : Infinity,
      );
      gateConfig.trailingSilenceFrames = Math.min(baseGate.trailingSilenceFrames, eff.endOfSpeechMs !== null ? framesFor(Millis(eff.endOfSpeechMs)) : Infinity);
      driverRef?.dispatch({ kind: "policy", at: clock.now(), farFieldAllowed: eff.farField && eff.wakeWords.length > 0, forceMute: eff.forceMute });
    };
    const policy = new PolicyService({
      engine,
      log: log.child("policy"),
      deviceId: config.device.id ?? "unset",
      fleet: config.policy.mqtt.fleet,
      topicPrefix: config.policy.mqtt.topicPrefix,
      load: () => ({
        envelope: captures.settings.get(POLICY_SETTING),
        floor: Number(captures.settings.get(POLICY_FLOOR_SETTING) ?? 0),
        source: captures.settings.get(POLICY_SOURCE_SETTING) === "fleet" ? "fleet" : "device",
      }),
      save: (env, floor, source) => {
        captures.settings.set(POLICY_SOURCE_SETTING, source, clock.now());
        captures.settings.set(POLICY_SETTING, env, clock.now());
        captures.settings.set(POLICY_FLOOR_SETTING, String(floor), clock.now());
      },
      audit: (type, data) => ledger.audit.append(clock.now(), type, data),
      onApplied: applyPolicy,
      storage: () => this.storage.report(),
      diagnosticsOverdue: () => overdue(ledger.diagnostics.list(), clock.now()).length,
      profile: () => this.profile(),
      checkout: (text) => checkout(text),
      auditHead: () => {
        const h = ledger.audit.current();
        return { seq: h.seq, hash: h.hash };
      },
      compliance: () => ({
        capturesKept: captures.count(),
        oldestKeptDays: ledger.oldestKeptDays(),
        purged: ledger.purgedTotal,
        falseWakes: driverRef?.counters.falseWakes ?? 0,
      }),
      now: () => clock.now(),
      after: (ms, fn) => clock.after(Millis(ms), fn),
    });
    this.#policy = policy;
    this.storage.onChange(() => policy.publishState());
    // The stored policy first, so the start-up purge already uses the retention in force.
    policy.boot();
    const check = ledger.startup();
    io.out(
      `ledger: ${join(resolve(config.dataDir), "agent.db")} (integrity ${check.integrity}; ${ledger.captures.count()} captures kept, at most ${ledger.limitMs() / DAY_MS} days${check.purged ? `; ${check.purged} expired purged` : ""}${check.orphanKeys + check.orphanAudio + check.orphanFiles ? `; ${check.orphanKeys + check.orphanAudio + check.orphanFiles} orphans removed` : ""})`,
    );
    const uploader = await createUploader(config.upload);
    this.#uploader = uploader;
    // Uploads allowed by the policy in force (checked at queueing and again at sending).
    const uploadsAllowed = (): boolean => {
      const eff = engine.effective();
      if (!eff.uploads) return false;
      // A policy endpoint allowlist also binds the configured endpoint.
      return eff.uploadEndpoints === null || config.upload.kind !== "https" || eff.uploadEndpoints.includes(new URL(config.upload.endpoint!).hostname);
    };
    const uploads = uploader
      ? new UploadWorker({
          store: captures,
          uploader,
          clock,
          log: log.child("upload"),
          retryBaseMs: config.upload.retryBaseMs,
          retryMaxMs: config.upload.retryMaxMs,
          random: cryptoUniform,
          deletionGapMaxMs: config.upload.deletionGapMaxSeconds * 1000,
          audit: (type, data) => ledger.audit.append(clock.now(), type, data),
          permit: () => ({ uploads: uploadsAllowed(), trainingAllowed: engine.effective().trainingAllowed, purposes: grantedPurposes() }),
        })
      : null;
    this.#uploads = uploads;
    io.out(`uploads: ${uploader ? uploader.name : "off (captures stay on this device)"}`);
    syncProfile();
    if (hotelNow())
      io.out(
        `profile: hotel (${config.profile === "hotel" ? "config" : "fleet policy"}) — a session leaves only as a recognised catalogue command; any other is dropped unrecorded`,
      );
    // The hotel command recogniser, loaded the first time a guest room needs it.
    let recogniser: Promise<{ model: CommandModel; features: SpeechFeatures } | null> | null = null;
    const hotelLog = log.child("hotel");
    const loadRecogniser = (): Promise<{ model: CommandModel; features: SpeechFeatures } | null> =>
      (recogniser ??= (async () => {
        try {
          const [{ loadCommandModel }, { SpeechEmbedder }] = await Promise.all([import("./hotel/recogniser.ts"), import("./wake/embedding.ts")]);
          return { model: loadCommandModel(config.hotel.commandModel ?? undefined), features: await SpeechEmbedder.shared() };
        } catch (e) {
          hotelLog.error("hotel mode: no command recogniser, so every session is dropped", { error: toError(e).message });
          return null;
        }
      })());
    const sink = new ProfileSink(
      hotelNow,
      new HotelSink({
        log: hotelLog,
        recogniser: loadRecogniser,
        forward: (c) => {
          io.out(`hotel: forwarded ${c.commandId} 「${c.text}」 (minute ${c.minute})`);
          this.#bridge?.hotelCommand(c.commandId, c.text);
          if (!policy.publishHotelCommand(JSON.stringify(c)))
            hotelLog.warn("hotel mode: no broker connection; the command reached only the speaker", { commandId: c.commandId });
        },
        dropped: () => io.out("hotel: dropped a session (not a catalogue command; nothing kept, nothing sent)"),
      }),
      new VoiceSink({
        store: captures,
        log: log.child("voice"),
        random: cryptoUniform,
        alphaRange: () => engine.effective().alpha,
        uploadsOn: () => uploads !== null && uploadsAllowed(),
        trainingAllowed: () => engine.effective().trainingAllowed,
        purposes: grantedPurposes,
        // Only a fleet-wide policy's version: a per-device policy's version could single this speaker out.
        policyVersion: () => (policy.appliedFrom === "fleet" ? engine.effective().version : 0),
        locale: config.privacy.locale,
        queueMax: config.upload.queueMax,
        sendDelayMaxMs: config.upload.sendDelayMaxSeconds * 1000,
        onQueued: () => uploads?.kick(),
        birth: (startedAt) => ledger.clock.birth(Math.min(3_600_000, Math.max(0, clock.now() - startedAt))),
        onStored: () => ledger.stored(),
      }),
      Math.max(config.gate.maxSessionSeconds, config.gate.maxHoldSeconds) * 1000,
    );
    sinkRef = sink;
    // In a guest room, the recogniser is loaded now: a missing or broken model is said at start.
    if (hotelNow()) {
      const r = await loadRecogniser();
      io.out(
        r
          ? `hotel commands: ${r.model.commands.length} (${r.model.commands.map((c) => c.id).join(", ")}), ${config.hotel.commandModel ? `model ${config.hotel.commandModel}` : "the bundled model"}`
          : "hotel commands: NO recogniser (see the error above), so every session is dropped",
      );
    }
    const vad = await createWebRtcVad(config.gate.vadAggressiveness as 0 | 1 | 2 | 3);

    const rawWake = await createWakeEngine(config, io, this.#voiceprints);
    this.#wake = rawWake;
    const wake = rawWake ? filteredWake(rawWake, () => engine.effective().wakeWords) : null;

    const now = clock.now();
    const eff0 = engine.effective();
    const loaded = store.load();
    if (ledgerGone) {
      loaded.state = {
        mode: loaded.state?.mode ?? config.mode,
        hwSwitch: loaded.state?.hwSwitch ?? false,
        fleetMute: loaded.state?.fleetMute ?? false,
        userMute: {},
      };
      loaded.problem = ledgerGone;
      // The household's choices went with the ledger: the strictest until it chooses again.
      for (const feature of ["uploads", "training"])
        ledger.consents.append({ feature, person: null, granted: false, notice: null, by: "wipe", source: "ledger-lost", at: now });
    }
    // A guardian's hours (agent/guardian): outside them the gate is closed; a boot there starts closed.
    const guardianWindows = (): GuardianWindow[] => {
      const raw = captures.settings.get(GUARDIAN_HOURS_SETTING);
      const r = raw ? GuardianHoursSchema.safeParse(JSON.parse(raw)) : null;
      return r?.success ? r.data : [];
    };
    const schedule = new GuardianSchedule({
      clock: { now: () => clock.now(), after: (ms, fn) => clock.after(Millis(ms), fn) },
      windows: guardianWindows,
      changed: (closed) => {
        const d = this.#driver;
        if (d && closed !== d.state.guardianClosed) d.dispatch({ kind: "guardian-hours", at: clock.now(), closed });
      },
      tick: () => this.#checkDiagnostics(),
    });
    this.#guardian = schedule;
    const { state, expiredTimedMute } = initialState(loaded.state, now, {
      wakeAvailable: wake !== null,
      farFieldAllowed: eff0.farField && eff0.wakeWords.length > 0,
      defaultMode: config.mode,
      guardianClosed: schedule.closedNow(),
    });
    if (loaded.problem) {
      // Fail closed: a mute that cannot be read back is a mute.
      log.error("starting muted: stored state unreadable or ledger gone", { problem: loaded.problem });
      io.out(`${loaded.problem}: starting muted (unmute when you are ready)`);
      store.audit(now, { type: "boot-muted", reason: ledgerGone ? "ledger-missing" : "unreadable-state" });
    }
    if (expiredTimedMute) store.audit(now, { type: "unmute", cause: "timer" });
    // The state file exists from here on, holding the state the gate boots in.
    store.open(persisted(state));
    if (loaded.problem || expiredTimedMute) store.save(persisted(state));

    const handler: RequestHandler = (msg, client) => {
      if (msg.type === "hello") client.model = msg.model;
      const reportsSwitch = msg.type === "mute-switch" || (msg.type === "hello" && msg.muteSwitch !== undefined);
      if (reportsSwitch) {
        if (this.#switchOwner !== null && this.#switchOwner !== client.n && this.#bridge?.connected(this.#switchOwner)) {
          return { ok: false, code: "SWITCH_OWNED", message: "another firmware connection reports the mute switch; only it can change the switch" };
        }
        this.#switchOwner = client.n;
      }
      return this.#handle(msg, clock.now(), ledger, sink);
    };
    const bridge = new BridgeServer({
      socketPath: resolve(config.bridge.socketPath),
      socketMode: parseInt(config.bridge.socketMode, 8),
      maxClients: config.bridge.maxClients,
      log: log.child("bridge"),
      handler,
    });
    this.#bridge = bridge;

    const driver = new GateDriver(state, { clock, mic: source, wake, vad, bridge, sink, store, log: log.child("gate"), config: gateConfig });
    driverRef = driver;
    this.#driver = driver;
    if (expiredTimedMute) io.out("the timed mute ran out while the agent was stopped: unmuted");
    await bridge.start();
    driver.start();
    // Re-evaluated at every minute boundary (a window's edge, a clock set forward or back); a guardian's change at once.
    schedule.start();
    applyPolicy();
    ledger.start();
    uploads?.start();
    const m = config.policy.mqtt;
    if (m.url) {
      const { MqttTransport } = await import("./adapters/mqtt-transport.ts");
      const settings = {
        url: m.url,
        protocolVersion: m.protocolVersion,
        caFile: m.caFile,
        username: m.username,
        passwordFile: m.passwordFile,
        certFile: m.certFile,
        keyFile: m.keyFile,
        reconnectMinMs: m.reconnectMinMs,
        reconnectMaxMs: m.reconnectMaxMs,
      };
      policy.connect(new MqttTransport(settings, `spa-${config.device.id}`, log.child("policy")));
      io.out(`fleet policy: ${m.url} (fleet ${m.fleet}; applied version ${engine.effective().version})`);
    } else
      io.out(`fleet policy: off (no broker configured${engine.effective().version ? `; stored policy version ${engine.effective().version} in force` : ""})`);
    io.out(`bridge: listening on ${resolve(config.bridge.socketPath)}`);

    if (config.status.enabled) {
      this.#status = new StatusPrinter(
        driver,
        () => ({ kept: captures.count(), clients: bridge.clients, micPid: source.pid, storage: this.storage.report() }),
        io.out,
        config.status.intervalMs,
      );
      this.#status.start();
      this.storage.onChange(() => this.#status?.print());
    }
    if (config.simulator.enabled) {
      const { FakeFirmware } = await import("../firmware-bridge/sim/fake-firmware.ts");
      this.#sim = await FakeFirmware.start({
        socketPath: resolve(config.bridge.socketPath),
        model: "demo-simulator",
        ackDelayMs: config.simulator.ackDelayMs,
        print: (l) => io.out(`  ${l}`),
      });
      io.out("firmware simulator: connected (acknowledges LEDs like a real LED ring)");
    }
    if (config.bridge.evdev.device) {
      const { muteKey, talkKey } = config.bridge.evdev;
      const { EvdevButtons } = await import("../firmware-bridge/evdev.ts");
      this.#buttons = new EvdevButtons(
        config.bridge.evdev.device,
        (ev) => {
          const at = clock.now();
          if (ev.code === muteKey && ev.action === "down") driver.dispatch({ kind: "mute-button", at });
          if (ev.code === talkKey) driver.dispatch({ kind: "talk", at, action: ev.action });
        },
        (e) => log.error("button input failed", { error: e.message }),
      );
      await this.#buttons.start();
      io.out(`buttons: reading ${config.bridge.evdev.device} (mute key ${muteKey}, talk key ${talkKey})`);
    }
    if (config.page.enabled) {
      const backend: PageBackend = {
        request: (msg) => this.#handle(msg, clock.now(), ledger, sink),
        policy: () => {
          const e = engine.effective();
          return {
            version: e.version,
            appliedFrom: policy.appliedFrom,
            retentionDays: ledger.limitMs() / DAY_MS,
            uploads: uploads !== null && uploadsAllowed(),
            trainingAllowed: e.trainingAllowed,
            hotel: hotelNow(),
            farField: e.farField,
          };
        },
        history: () => ledger.history(),
        audio: (id) => ledger.captureWav(id),
        deleteId: (id) => {
          const n = ledger.deleteId(id, "page").count;
          uploads?.kick();
          return n;
        },
        exportEntries: () => ledger.exportEntries("page"),
        audit: (type, data) => void ledger.audit.append(clock.now(), type, data),
        auditLog: (limit) => ({ events: ledger.audit.list(limit).map(({ seq, at, type, data }) => ({ seq, at, type, data })), verify: ledger.audit.verify() }),
        announce: (code, validSeconds) => bridge.broadcast({ v: 1, type: "pairing-code", code, validSeconds }),
        sessions: ledger.pageSessions,
        onState: (fn) => driver.onChange(fn),
        ledgerMark: () => ledger.changeMark(),
        now: () => clock.now(),
        monotonic: () => clock.monotonic(),
        every: (ms, fn) => {
          const t = setInterval(fn, ms);
          t.unref();
          return { cancel: () => clearInterval(t) };
        },
      };
      const { startPage } = await import("./page/start.ts");
      try {
        const page = await startPage(config, backend, log.child("page"), clock.now());
        this.#page = page;
        io.out(`household page: ${page.urls.join("  ")}${page.fingerprint ? ` (certificate SHA-256 ${page.fingerprint})` : ""}`);
        // The demo prints a code to pair with at once; a device does not put one in its journal at every boot.
        const code = config.simulator.enabled ? page.server.issueCode(true) : null;
        if (code?.ok) io.out(`pairing code: ${code.code} (valid ${code.validSeconds / 60} minutes; 'spa page pair' makes another)`);
        else io.out("pair a phone: open the page and ask the speaker for a code, or run 'spa page pair'");
      } catch (e) {
        // The page is a window on the agent, not part of its guard: the gate, mute and ledger run on without it.
        const why = (e as NodeJS.ErrnoException).code === "EADDRINUSE" ? `port ${config.page.port} is in use` : toError(e).message;
        log.error("the household page could not start", { error: why });
        io.out(`household page: NOT serving (${why}); the speaker runs on without it`);
      }
    }
  }

  /** Maps one firmware request to a gate input (or a ledger action) and the reply. */
  /** One firmware message: its handler (agent/handlers), then the gate, then the reply. */
  #handle(msg: Request, at: Timestamp, ledger: Ledger, sink: ProfileSink): Reply {
    const driver = this.#driver!;
    const uploads = this.#uploads;
    const result = handle(msg, {
      at,
      ledAck: (pattern, seq) => driver.ledAck(pattern, seq),
      deleteKept: (scope, extra) => ledger.delete(scope, "bridge", extra),
      cancelInFlight: () => sink.cancelInFlight(),
      audit: (type, data) => void ledger.audit.append(at, type, data),
      consents: this.#consents!,
      diagnostics: {
        prepare: (fault) => this.#prepareDiagnostics(fault, at),
        confirm: (id, fault) => this.#confirmDiagnostics(id, fault, at),
        report: (id, event) => {
          const r = ledger.diagnostics.get(id);
          const next = r ? nextState(r, event) : null;
          if (!r || !next) return null;
          ledger.diagnostics.setState(id, next, at);
          ledger.audit.append(at, "diagnostics", { bundle: id, state: next });
          this.#checkDiagnostics();
          return next;
        },
        list: () => {
          this.#checkDiagnostics();
          const late = new Set(overdue(ledger.diagnostics.list(), at).map((r) => r.id));
          return ledger.diagnostics.list().map(({ id, overdueReported: _r, ...r }) => ({ bundle: id, ...r, overdue: late.has(id) }));
        },
      },
      setGuardianHours: (windows) => {
        if (windows.length) ledger.captures.settings.set(GUARDIAN_HOURS_SETTING, JSON.stringify(windows), at);
        else ledger.captures.settings.delete(GUARDIAN_HOURS_SETTING);
        ledger.audit.append(at, "guardian-hours", { windows: windows.length });
        this.#guardian?.check();
        return { open: !this.#driver!.state.guardianClosed };
      },
      voiceprints: {
        list: () => ledger.voiceprints.list().map((v) => ({ ...v, consented: this.#consents!.granted("voiceprint", v.person) })),
        rename: (from, to) => {
          const n = ledger.voiceprints.rename(from, to);
          if (n) ledger.consents.renamePerson(from, to);
          this.refreshVoiceprints();
          return n;
        },
        deletePerson: (person) => {
          const n = ledger.voiceprints.deletePerson(person);
          this.refreshVoiceprints();
          return n;
        },
        refresh: () => this.refreshVoiceprints(),
      },
      notify: (n) => this.#bridge?.notice(n),
      retryUploads: () => ledger.captures.uploads.retryNow(at),
      profile: this.profile(),
      uploadsOn: uploads !== null,
      kickUploads: () => uploads?.kick(),
      page: this.#page && {
        // Asked for on the speaker itself: also lifts a guessing lock.
        issueCode: () => this.#page!.server.issueCode(true),
        urls: this.#page.urls,
        fingerprint: this.#page.fingerprint,
        sessions: () => ledger.pageSessions.list(at),
        revoke: (id) => {
          const ids = id === "all" ? "all" : [id];
          const n = ledger.pageSessions.revoke(id, at);
          this.#page?.server.closeSessions(ids);
          return n;
        },
      },
    });
    if (result && "reply" in result) return result.reply;
    if (result) {
      const step = driver.dispatch(result.input);
      if (step.refused) return { ok: false, code: step.refused.code, message: step.refused.message };
    }
    return {
      ok: true,
      data: {
        state: { ...snapshot(driver.state) },
        profile: this.profile(),
        counters: { ...driver.counters, hotelForwarded: sink.hotel.counters.forwarded, hotelDropped: sink.hotel.counters.dropped },
        micPid: this.#source?.pid ?? null,
        storage: this.storage.report(),
        consents: this.#consents!.list(),
      },
    };
  }

  /**
   * For an exit that cannot wait for stop() (its deadline passed): what must not outlive the
   * process, synchronously. The bridge socket goes, so the next agent does not find it stale.
   */
  exitNow(): void {
    this.#bridge?.removeOwnSocket();
  }

  /** Stops in reverse order; the microphone is closed before anything else. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const log = this.io.log;
      const step = async (what: string, fn: () => unknown): Promise<void> => {
        try {
          await fn();
        } catch (e) {
          log.error(`stopping ${what} failed`, { error: toError(e).message });
        }
      };
      this.#guardian?.stop();
      await step("household page", () => this.#page?.server.stop());
      await step("capture gate", () => this.#driver?.stop());
      await step("audio source", () => this.#source?.close());
      await step("uploads", () => this.#uploads?.stop());
      await step("fleet policy", () => this.#policy?.stop());
      await step("ledger clock", () => this.#ledger?.stop());
      this.#status?.stop();
      this.#buttons?.stop();
      this.#sim?.stop();
      await step("wake engine", () => this.#wake?.close());
      await step("bridge", () => this.#bridge?.stop());
      await step("gate store", () => this.#store?.close());
      await step("ledger", () => this.#db?.close());
    })();
    return this.#stopping;
  }
}
