/**
 * Runs the real GateDriver (and so the real machine) on fakes for time, audio, wake engine and
 * firmware, from a list of commands, and records a trace the property tests check. Each frame
 * carries a tag in its first samples, so the kept audio tells exactly which frames it holds.
 */
import { GateDriver } from "../../agent/capture/gate.driver.ts";
import { initialState, isMuted, type GateConfig, type GateState, type Mode, type PersistedGate } from "../../agent/capture/gate.machine.ts";
import { silentLogger } from "../../agent/log.ts";
import type { KeptSession, SessionSink } from "../../agent/ports/session-sink.ts";
import type { WakeEngine, WakeHit } from "../../agent/ports/wake-engine.ts";
import { FRAME_SAMPLES, Millis, Timestamp } from "../../agent/units.ts";
import { EnergyVad } from "../fakes/energy-vad.ts";
import { FakeClock } from "../fakes/fake-clock.ts";
import { MemoryAudioSource } from "../fakes/memory-audio-source.ts";
import { RecordingBridge } from "../fakes/recording-bridge.ts";

export type Command =
  | { t: "frame"; speech: boolean; wake: boolean; dt: number }
  | { t: "frames"; n: number; speech: boolean }
  | { t: "advance"; ms: number }
  | { t: "to-deadline"; offset: -1 | 0 | 1 }
  | { t: "talk"; action: "down" | "up" }
  | { t: "mute-button" }
  | { t: "mute" }
  | { t: "unmute" }
  | { t: "mute-for"; ms: number }
  | { t: "switch"; on: boolean }
  | { t: "led-ack" }
  | { t: "mode"; mode: Mode }
  | { t: "mic-error" }
  | { t: "policy"; forceMute: boolean; farField: boolean }
  /** The guardian's hours begin (closed: false) or end (closed: true). */
  | { t: "guardian"; closed: boolean }
  | { t: "restart" }
  /** A wake phrase, optionally the firmware's LED ack, speech, then silence. */
  | { t: "say"; ack: boolean; speech: number; silence: number; interrupt: Interrupt }
  /** Press talk, optionally ack, some frames, release. */
  | { t: "press-talk"; ack: boolean; frames: number; interrupt: Interrupt };

/** An input thrown into the middle of a session by the composite commands. */
export type Interrupt = null | "mute-button" | "mute" | "mute-for" | "switch-on" | "mode" | "mic-error" | "force-mute";

export interface InterruptRecord {
  kind: Exclude<Interrupt, null>;
  before: GateState;
  after: GateState;
  /** Frames accepted after the interrupt, within the same command. */
  acceptedAfter: number;
}

export const GATE_CONFIG: GateConfig = {
  ledAckMs: Millis(300),
  trailingSilenceFrames: 5,
  falseWakeFrames: 10,
  minSpeechFrames: 2,
  maxSessionFrames: 40,
  maxHoldMs: Millis(20_000),
  retryMs: Millis(1000),
};

/** Wakes when the frame's marker sample says so (the test decides where the phrase is). */
class MarkerWake implements WakeEngine {
  readonly name = "marker";
  readonly frameLength = FRAME_SAMPLES;
  process(frame: Int16Array, _speech: boolean): WakeHit | null {
    return frame[4] === 7 ? { keyword: "你好天猫", score: 1 } : null;
  }
  reset(): void {}
  close(): void {}
}

export interface FrameInfo {
  tag: number;
  at: number;
  delivered: boolean;
  /** The gate accepted it into a session buffer. */
  accepted: boolean;
  /** Gate before the frame was processed. */
  phase: GateState["phase"]["kind"];
  sessionId: number | null;
  muted: boolean;
}

/** Composite commands run several inputs in one step; step-level checks skip them. */
export const isComposite = (c: Command): boolean => c.t === "say" || c.t === "press-talk";

export interface StepRecord {
  cmd: Command;
  before: GateState;
  after: GateState;
  atBefore: number;
  atAfter: number;
  micOpenAfter: boolean;
  acceptedDelta: number;
  refused: boolean;
}

export interface Trace {
  frames: FrameInfo[];
  kept: Array<{ meta: KeptSession; tags: number[] }>;
  steps: StepRecord[];
  /** Session id → when (and whether) its listening LED was acknowledged. */
  acks: Map<number, number>;
  interrupts: InterruptRecord[];
  /** Session id → the input that opened it. */
  starts: Map<number, { by: "wake-frame" | "talk-down"; at: number; mode: Mode }>;
}

class CollectingSink implements SessionSink {
  readonly kept: Trace["kept"] = [];
  async keep(meta: KeptSession, audio: Int16Array): Promise<void> {
    const tags: number[] = [];
    for (let off = 0; off < audio.length; off += FRAME_SAMPLES) tags.push(audio[off]! + audio[off + 1]! * 256);
    this.kept.push({ meta, tags });
    audio.fill(0);
  }
}

function makeFrame(tag: number, speech: boolean, wake: boolean): Int16Array {
  const f = new Int16Array(FRAME_SAMPLES);
  for (let i = 5; i < FRAME_SAMPLES; i++) f[i] = speech ? (i % 2 ? 3000 : -3000) : 0;
  f[0] = tag % 256;
  f[1] = Math.floor(tag / 256);
  f[4] = wake ? 7 : 0;
  return f;
}

export async function runGate(cmds: Command[], opts: { initial?: PersistedGate | null; settleEvery?: boolean } = {}): Promise<Trace> {
  const clock = new FakeClock();
  const source = new MemoryAudioSource();
  const bridge = new RecordingBridge();
  const sink = new CollectingSink();
  let persisted: PersistedGate | null = opts.initial ?? null;
  const store = { save: (s: PersistedGate) => void (persisted = s), audit: () => undefined };
  const trace: Trace = { frames: [], kept: sink.kept, steps: [], acks: new Map(), starts: new Map(), interrupts: [] };
  let tag = 0;
  let nextSessionBase = 0;

  let guardianClosed = false;
  const boot = (): GateDriver => {
    // As the agent does: a boot outside the guardian's hours starts closed.
    const { state } = initialState(persisted, clock.now(), { wakeAvailable: true, farFieldAllowed: true, defaultMode: "far", guardianClosed });
    // Session ids restart at boot; offset them so they stay unique across restarts in the trace.
    state.nextSessionId = nextSessionBase + 1;
    const d = new GateDriver(state, {
      clock,
      mic: source,
      wake: new MarkerWake(),
      vad: new EnergyVad(),
      bridge,
      sink,
      store,
      log: silentLogger,
      config: GATE_CONFIG,
    });
    d.start();
    return d;
  };
  let driver = boot();
  await driver.settled();

  /** Records which input opened a session, if the last input opened one. */
  const noteStart = (before: GateState, by: "wake-frame" | "talk-down"): void => {
    const after = driver.state;
    if (after.phase.kind === "capturing" && (before.phase.kind !== "capturing" || before.phase.session.id !== after.phase.session.id)) {
      trace.starts.set(after.phase.session.id, { by, at: after.phase.session.startedAt, mode: after.mode });
    }
  };
  const ack = (): void => {
    const s = driver.state;
    if (s.phase.kind === "capturing" && !s.phase.session.acked) trace.acks.set(s.phase.session.id, clock.now());
    driver.dispatch({ kind: "led-ack", at: clock.now(), pattern: "listening" });
  };
  const talk = (action: "down" | "up"): boolean => {
    const before = driver.state;
    const refused = driver.dispatch({ kind: "talk", at: clock.now(), action }).refused !== undefined;
    noteStart(before, "talk-down");
    return refused;
  };
  const push = (speech: boolean, wake: boolean): void => {
    const s = driver.state;
    const info: FrameInfo = {
      tag: tag,
      at: clock.now(),
      delivered: false,
      accepted: false,
      phase: s.phase.kind,
      sessionId: s.phase.kind === "capturing" ? s.phase.session.id : null,
      muted: isMuted(s),
    };
    trace.frames.push(info);
    const accepted0 = driver.counters.framesAccepted;
    info.delivered = source.push(makeFrame(tag, speech, wake));
    info.accepted = driver.counters.framesAccepted > accepted0;
    tag++;
    noteStart(s, "wake-frame");
  };
  const frames = (n: number, speech: boolean): void => {
    for (let i = 0; i < n; i++) {
      clock.advance(32);
      push(speech, false);
    }
  };

  /** Frames, with an interrupt after the first half. */
  const interrupted = async (n: number, speech: boolean, kind: Interrupt): Promise<void> => {
    if (!kind) return frames(n, speech);
    const half = Math.floor(n / 2);
    frames(half, speech);
    const before = driver.state;
    const at = clock.now();
    switch (kind) {
      case "mute-button":
        driver.dispatch({ kind: "mute-button", at });
        break;
      case "mute":
        driver.dispatch({ kind: "mute", at });
        break;
      case "mute-for":
        driver.dispatch({ kind: "mute-for", at, duration: Millis(60_000) });
        break;
      case "switch-on":
        driver.dispatch({ kind: "mute-switch", at, on: true });
        break;
      case "force-mute":
        driver.dispatch({ kind: "policy", at, forceMute: true, farFieldAllowed: true });
        break;
      case "mode":
        driver.dispatch({ kind: "mode", at, mode: before.mode === "far" ? "near" : "far" });
        break;
      case "mic-error":
        if (source.isOpen) source.fail(new Error("recorder died"));
        break;
    }
    const rec: InterruptRecord = { kind, before, after: driver.state, acceptedAfter: 0 };
    trace.interrupts.push(rec);
    if (opts.settleEvery !== false) await driver.settled();
    const a0 = driver.counters.framesAccepted;
    frames(n - half, speech);
    rec.acceptedAfter = driver.counters.framesAccepted - a0;
  };

  for (const cmd of cmds) {
    const before = driver.state;
    const atBefore = clock.now();
    const accepted0 = driver.counters.framesAccepted;
    let refused = false;
    const at = (): Timestamp => clock.now();
    const send = (input: Parameters<GateDriver["dispatch"]>[0]): void => {
      refused = driver.dispatch(input).refused !== undefined || refused;
    };
    switch (cmd.t) {
      case "frame":
        clock.advance(cmd.dt);
        push(cmd.speech, cmd.wake);
        break;
      case "frames":
        frames(cmd.n, cmd.speech);
        break;
      case "say":
        clock.advance(32);
        push(true, true);
        await driver.settled();
        if (cmd.ack) ack();
        await interrupted(cmd.speech, true, cmd.interrupt);
        frames(cmd.silence, false);
        break;
      case "press-talk":
        refused = talk("down");
        await driver.settled();
        if (cmd.ack) ack();
        await interrupted(cmd.frames, true, cmd.interrupt);
        talk("up");
        break;
      case "advance":
        clock.advance(cmd.ms);
        break;
      case "to-deadline": {
        const until = driver.state.userMute?.until;
        if (until !== undefined && until + cmd.offset > clock.now()) clock.advance(until + cmd.offset - clock.now());
        break;
      }
      case "talk":
        refused = talk(cmd.action);
        break;
      case "mute-button":
        send({ kind: "mute-button", at: at() });
        break;
      case "mute":
        send({ kind: "mute", at: at() });
        break;
      case "unmute":
        send({ kind: "unmute", at: at() });
        break;
      case "mute-for":
        send({ kind: "mute-for", at: at(), duration: Millis(cmd.ms) });
        break;
      case "switch":
        send({ kind: "mute-switch", at: at(), on: cmd.on });
        break;
      case "led-ack":
        ack();
        break;
      case "mode":
        send({ kind: "mode", at: at(), mode: cmd.mode });
        break;
      case "mic-error":
        if (source.isOpen) source.fail(new Error("recorder died"));
        break;
      case "policy":
        send({ kind: "policy", at: at(), forceMute: cmd.forceMute, farFieldAllowed: cmd.farField });
        break;
      case "guardian":
        guardianClosed = cmd.closed;
        send({ kind: "guardian-hours", at: at(), closed: cmd.closed });
        break;
      case "restart":
        await driver.stop();
        nextSessionBase = driver.state.nextSessionId;
        driver = boot();
        break;
    }
    const after = driver.state;
    if (opts.settleEvery !== false) await driver.settled();
    trace.steps.push({
      cmd,
      before,
      after,
      atBefore,
      atAfter: clock.now(),
      micOpenAfter: source.isOpen,
      // A restart brings a new driver whose counters start at zero.
      acceptedDelta: cmd.t === "restart" ? driver.counters.framesAccepted : driver.counters.framesAccepted - accepted0,
      refused,
    });
  }
  await driver.stop();
  return trace;
}
