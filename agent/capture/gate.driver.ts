/**
 * Runs the capture gate: feeds inputs from the ports into the pure machine and performs the
 * effects it returns. Raw audio exists only here, in RAM: the frame being processed and the
 * open session's buffer. Both are zero-filled when discarded.
 *
 * Fail closed: an exception while performing effects closes the microphone and moves the gate
 * to `failed` (mic-error), from where it retries with backoff.
 */
import { toError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { AudioSource } from "../ports/audio-source.ts";
import type { BridgeLink } from "../ports/bridge-link.ts";
import type { Clock, TimerHandle } from "../ports/clock.ts";
import type { KeptSession, SessionSink } from "../ports/session-sink.ts";
import type { Vad } from "../ports/vad.ts";
import type { WakeEngine } from "../ports/wake-engine.ts";
import { Millis, type Timestamp } from "../units.ts";
import {
  bootEffects,
  snapshot,
  transition,
  type AuditEvent,
  type GateConfig,
  type GateEffect,
  type GateInput,
  type GateSnapshot,
  type GateState,
  type PersistedGate,
  type Step,
  type TimerName,
} from "./gate.machine.ts";

export interface GateStore {
  save(state: PersistedGate): void;
  audit(at: Timestamp, event: AuditEvent): void;
}

export interface GateDriverDeps {
  clock: Clock;
  mic: AudioSource;
  wake: WakeEngine | null;
  vad: Vad;
  bridge: BridgeLink;
  sink: SessionSink;
  store: GateStore;
  log: Logger;
  config: GateConfig;
}

export interface GateCounters {
  framesIn: number;
  /** Frames that arrived while the gate did not want audio (mic still closing); dropped unseen. */
  framesDropped: number;
  framesAccepted: number;
  speechFrames: number;
  wakeHits: number;
  sessionsKept: number;
  sessionsDiscarded: number;
  falseWakes: number;
  micOpens: number;
  micErrors: number;
}

interface OpenSession {
  id: number;
  trigger: "wake" | "talk";
  keyword?: KeptSession["keyword"];
  startedAt: Timestamp;
  frames: Int16Array[];
}

export class GateDriver {
  #state: GateState;
  readonly #deps: GateDriverDeps;
  readonly #timers = new Map<TimerName, TimerHandle>();
  #session: OpenSession | null = null;
  #frame: Int16Array | null = null;
  /**
   * The microphone follows the latest wanted state only (issue 14.2): effects set `#micWanted`,
   * and one operation at a time brings the source in line with it. A burst of open/close steps
   * collapses: after a close is wanted, no open starts. `#micIs` is what the last operation left
   * (a failed operation counts as "open", so a close is tried again).
   */
  #micWanted = false;
  #micIs = false;
  #micBusy: Promise<void> | null = null;
  #micRetry: TimerHandle | null = null;
  #queue: GateInput[] = [];
  #dispatching = false;
  #stopped = false;
  #lastSnapshot: GateSnapshot | null = null;
  /** Sequence number of the last LED command and its pattern (for matching acks). */
  #ledSeq = 0;
  #ledPattern: string | null = null;
  readonly #listeners: Array<(s: GateSnapshot) => void> = [];
  readonly #pendingSinks = new Set<Promise<void>>();
  readonly counters: GateCounters = {
    framesIn: 0,
    framesDropped: 0,
    framesAccepted: 0,
    speechFrames: 0,
    wakeHits: 0,
    sessionsKept: 0,
    sessionsDiscarded: 0,
    falseWakes: 0,
    micOpens: 0,
    micErrors: 0,
  };

  /** The constructor does no I/O; start() performs the boot effects. */
  constructor(initial: GateState, deps: GateDriverDeps) {
    this.#state = initial;
    this.#deps = deps;
    deps.mic.onFrame((f) => this.#onFrame(f));
    deps.mic.onError((e) => {
      this.counters.micErrors++;
      deps.log.warn("microphone failed", { error: e.message });
      this.dispatch({ kind: "mic-error", at: deps.clock.now(), reason: e.message });
    });
  }

  get state(): GateState {
    return this.#state;
  }

  snapshot(): GateSnapshot {
    return snapshot(this.#state);
  }

  /** Calls fn after every step that changed the state; returns the unsubscribe. */
  onChange(fn: (s: GateSnapshot) => void): () => void {
    this.#listeners.push(fn);
    return () => {
      const i = this.#listeners.indexOf(fn);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  start(): void {
    this.#run(bootEffects(this.#state));
    this.#afterStep();
  }

  /** Feeds one input; returns the step so callers (the bridge) can report a refusal. */
  dispatch(input: GateInput): Step {
    if (this.#stopped) return { state: this.#state, effects: [] };
    if (this.#dispatching) {
      // Re-entrant input (an effect produced it): handle after the current step, in order.
      this.#queue.push(input);
      return { state: this.#state, effects: [] };
    }
    this.#dispatching = true;
    let step: Step;
    try {
      step = transition(this.#state, input, this.#deps.config);
      this.#state = step.state;
      this.#run(step.effects);
    } finally {
      this.#dispatching = false;
    }
    this.#afterStep();
    const next = this.#queue.shift();
    if (next) this.dispatch(next);
    return step;
  }

  /**
   * Firmware says the LED shows `pattern` for LED command `seq`. Only an ack of the current
   * LED command counts: a late ack for an earlier session's LED must not vouch for a new one.
   */
  ledAck(pattern: GateSnapshot["led"], seq: number): Step | null {
    if (seq !== this.#ledSeq || pattern !== this.#ledPattern) return null;
    return this.dispatch({ kind: "led-ack", at: this.#deps.clock.now(), pattern });
  }

  /** Waits for pending mic operations and session hand-offs (tests, benchmarks, shutdown). */
  async settled(): Promise<void> {
    while (this.#micBusy) await this.#micBusy;
    await Promise.all([...this.#pendingSinks]);
  }

  /** Closes the mic first, then drops any open session and timers. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wantMic(false);
    while (this.#micBusy) await this.#micBusy;
    this.#micRetry?.cancel();
    if (this.#micIs) await this.#deps.mic.close().catch(() => undefined);
    if (this.#session) this.#wipeSession();
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
    await Promise.all([...this.#pendingSinks]);
  }

  #afterStep(): void {
    const snap = this.snapshot();
    const last = this.#lastSnapshot;
    if (last && (Object.keys(snap) as Array<keyof GateSnapshot>).every((k) => snap[k] === last[k])) return;
    this.#lastSnapshot = snap;
    this.#deps.bridge.state(snap);
    for (const fn of this.#listeners) {
      try {
        fn(snap);
      } catch (e) {
        this.#deps.log.warn("state listener failed", { error: toError(e).message });
      }
    }
  }

  #onFrame(frame: Int16Array): void {
    this.counters.framesIn++;
    const kind = this.#state.phase.kind;
    if (this.#stopped || (kind !== "armed" && kind !== "capturing")) {
      this.counters.framesDropped++;
      frame.fill(0);
      return;
    }
    const { clock, wake, vad } = this.#deps;
    this.#frame = frame;
    try {
      if (kind === "armed") {
        const hit = wake ? wake.process(frame, vad.isSpeech(frame)) : null;
        if (hit) {
          this.counters.wakeHits++;
          this.dispatch({ kind: "wake", at: clock.now(), keyword: hit.keyword });
        } else if (this.#state.consecutiveFailures > 0) {
          this.dispatch({ kind: "frame", at: clock.now(), speech: false });
        }
      } else {
        const speech = vad.isSpeech(frame);
        if (speech) this.counters.speechFrames++;
        this.dispatch({ kind: "frame", at: clock.now(), speech });
      }
    } catch (e) {
      this.#failClosed(e);
    } finally {
      this.#frame = null;
      frame.fill(0);
    }
  }

  /**
   * Performs every effect even when one fails (a failing audit write must not skip the
   * persist that keeps a mute across reboots), then fails closed on the first error.
   */
  #run(effects: GateEffect[]): void {
    let failure: unknown = null;
    for (const fx of effects) {
      try {
        this.#perform(fx);
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure !== null) this.#failClosed(failure);
  }

  #failClosed(e: unknown): void {
    const err = toError(e);
    this.#deps.log.error("capture error; closing the microphone", { error: err.message });
    this.#wantMic(false);
    if (this.#state.phase.kind !== "muted" && this.#state.phase.kind !== "failed") {
      // dispatch() queues this when called from inside a step.
      this.dispatch({ kind: "mic-error", at: this.#deps.clock.now(), reason: "internal error" });
    }
  }

  #perform(fx: GateEffect): void {
    const { bridge, store, clock } = this.#deps;
    switch (fx.kind) {
      case "open-mic":
        this.counters.micOpens++;
        bridge.micPower(true);
        this.#wantMic(true);
        return;
      case "close-mic":
        // Firmware hears at once that the gate wants the mic off (so a quick close-then-open
        // cannot deliver "off" after "on").
        bridge.micPower(false);
        this.#wantMic(false);
        this.#deps.wake?.reset();
        this.#deps.vad.reset();
        return;
      case "led":
        this.#ledSeq++;
        this.#ledPattern = fx.pattern;
        bridge.led(fx.pattern, this.#ledSeq);
        return;
      case "session-start":
        if (this.#session) this.#wipeSession();
        this.#session = { id: fx.id, trigger: fx.trigger, startedAt: fx.at, frames: [] };
        if (fx.keyword !== undefined) this.#session.keyword = fx.keyword;
        this.#deps.vad.reset();
        // The wake engine is not fed during a session; its history would straddle the gap.
        this.#deps.wake?.reset();
        return;
      case "accept-frame":
        if (!this.#session || this.#session.id !== fx.id || !this.#frame) throw new Error("frame accepted with no open session");
        this.#session.frames.push(Int16Array.from(this.#frame));
        this.counters.framesAccepted++;
        return;
      case "session-keep":
        this.#keep(fx.at, fx.reason);
        return;
      case "session-discard":
        this.counters.sessionsDiscarded++;
        if (fx.reason === "false-wake") this.counters.falseWakes++;
        this.#wipeSession();
        return;
      case "set-timer":
        this.#setTimer(fx.name, fx.at);
        return;
      case "cancel-timer":
        this.#timers.get(fx.name)?.cancel();
        this.#timers.delete(fx.name);
        return;
      case "persist":
        store.save(fx.state);
        return;
      case "audit":
        store.audit(clock.now(), fx.event);
        return;
      case "voice-unavailable":
        bridge.voiceUnavailable(fx.reason);
        return;
      case "sound":
        bridge.sound(fx.name);
        return;
    }
  }

  #wantMic(open: boolean): void {
    if (this.#stopped && open) return;
    this.#micWanted = open;
    this.#reconcileMic();
  }

  /** Starts the one operation that brings the source toward the wanted state, if none runs. */
  #reconcileMic(): void {
    if (this.#micBusy || this.#micRetry || this.#micWanted === this.#micIs) return;
    const { mic, log, clock } = this.#deps;
    const opening = this.#micWanted;
    // Called synchronously: a close sends SIGTERM now, not after whatever this task does next.
    let op: Promise<void>;
    try {
      op = opening ? mic.open() : mic.close();
    } catch (e) {
      op = Promise.reject(e);
    }
    this.#micBusy = op.then(
      () => {
        this.#micIs = opening;
      },
      (e: unknown) => {
        const err = toError(e);
        this.counters.micErrors++;
        // Whatever a failed operation left, treat the mic as possibly open: a close follows.
        this.#micIs = true;
        if (opening) log.error("cannot open the microphone", { error: err.message });
        else {
          log.error("closing the microphone failed; the recorder may still run; retrying", { error: err.message });
          // Retry the close after a pause, not in a tight loop.
          this.#micRetry = clock.after(Millis(1000), () => {
            this.#micRetry = null;
            this.#reconcileMic();
          });
        }
        this.dispatch({ kind: "mic-error", at: clock.now(), reason: err.message });
      },
    );
    void this.#micBusy.finally(() => {
      this.#micBusy = null;
      this.#reconcileMic();
    });
  }

  #setTimer(name: TimerName, at: Timestamp): void {
    const { clock } = this.#deps;
    this.#timers.get(name)?.cancel();
    const arm = (): void => {
      const left = at - clock.now();
      // Timers may fire a little early by the wall clock; re-arm until `at` has really passed,
      // so a timed mute never ends a frame before its deadline.
      const handle = clock.after(Millis(Math.max(0, left)), () => {
        if (clock.now() < at) return arm();
        this.#timers.delete(name);
        this.dispatch({ kind: "timer", name, at: clock.now() });
      });
      this.#timers.set(name, handle);
    };
    arm();
  }

  #keep(endedAt: Timestamp, reason: string): void {
    const s = this.#session;
    this.#session = null;
    if (!s) return;
    const total = s.frames.reduce((n, f) => n + f.length, 0);
    const audio = new Int16Array(total);
    let off = 0;
    for (const f of s.frames) {
      audio.set(f, off);
      off += f.length;
      f.fill(0);
    }
    const meta: KeptSession = { id: s.id, trigger: s.trigger, startedAt: s.startedAt, endedAt, frames: s.frames.length, endReason: reason };
    if (s.keyword !== undefined) meta.keyword = s.keyword;
    this.counters.sessionsKept++;
    const p = this.#deps.sink
      .keep(meta, audio)
      .catch((e: unknown) => this.#deps.log.error("session sink failed; session dropped", { error: toError(e).message }))
      .finally(() => {
        audio.fill(0);
        this.#pendingSinks.delete(p);
      });
    this.#pendingSinks.add(p);
  }

  #wipeSession(): void {
    if (!this.#session) return;
    for (const f of this.#session.frames) f.fill(0);
    this.#session.frames.length = 0;
    this.#session = null;
  }
}
