/**
 * The capture gate: a pure transition function. It does no I/O, reads no clock and starts no
 * timers; every input carries its time, and timers, mic control, LEDs and session handling come
 * out as effects that gate.driver.ts performs.
 *
 * Structural guarantees (checked by the property tests):
 * - the mic is open exactly in `armed` and `capturing`; `close-mic` is emitted before any other
 *   effect of the transition that closes it, `open-mic` after the others;
 * - the LED effect follows the phase (listening exactly while capturing);
 * - mute (button, hardware switch, timer or fleet) dominates every phase and input.
 */
import { assertNever } from "../errors.ts";
import type { Keyword } from "../ports/wake-engine.ts";
import { addMillis, type Millis, type Timestamp } from "../units.ts";

export type Mode = "far" | "near";
export type Trigger = "wake" | "talk";
export type MuteCause = "button" | "switch" | "timer" | "fleet" | "guardian";
export type LedPattern = "idle" | "listening" | "muted" | "error";
export type FailReason = "mic-error" | "led-ack-timeout";
export type TimerName = "led-ack" | "mute-deadline" | "max-hold" | "retry";

export interface GateConfig {
  /** The firmware must acknowledge the "listening" LED within this, or the session is discarded. */
  ledAckMs: Millis;
  /** Far-field: this many silent frames after speech end the session. */
  trailingSilenceFrames: number;
  /** Far-field: a wake session with fewer than minSpeechFrames of speech within this many frames is a false wake. */
  falseWakeFrames: number;
  minSpeechFrames: number;
  /** Any session: hard cap in frames of audio (audio time, so unpaced sources obey it too). */
  maxSessionFrames: number;
  /** Talk sessions: hard cap in wall time while the button is held. */
  maxHoldMs: Millis;
  /** First retry delay after a failure; doubles per consecutive failure up to 60 s. */
  retryMs: Millis;
}

export interface Session {
  id: number;
  trigger: Trigger;
  keyword?: Keyword;
  startedAt: Timestamp;
  frames: number;
  speechFrames: number;
  /** Silent frames since the last speech frame. */
  silentRun: number;
  acked: boolean;
}

export type Phase =
  { kind: "muted" } | { kind: "armed" } | { kind: "standby" } | { kind: "capturing"; session: Session } | { kind: "failed"; reason: FailReason };

/** A mute the household set: indefinite (button) or until a deadline (mute-for). */
export interface UserMute {
  until?: Timestamp;
}

export interface GateState {
  phase: Phase;
  mode: Mode;
  /** Hardware mute switch as reported by firmware; software cannot override it. */
  hwSwitch: boolean;
  /** Mute forced by fleet policy; only the policy can lift it, never a remote unmute. */
  fleetMute: boolean;
  /** Outside the hours a guardian set (agent/guardian): closed like a mute; only the hours reopen it. Not persisted: derived from the schedule and the clock. */
  guardianClosed: boolean;
  userMute: UserMute | null;
  /** A wake engine is loaded and working. Without one, far-field cannot arm. */
  wakeAvailable: boolean;
  /** Policy allows far-field (wake word) capture. */
  farFieldAllowed: boolean;
  nextSessionId: number;
  consecutiveFailures: number;
}

export type GateInput =
  | { kind: "frame"; at: Timestamp; speech: boolean }
  | { kind: "wake"; at: Timestamp; keyword: Keyword }
  | { kind: "talk"; at: Timestamp; action: "down" | "up" }
  | { kind: "mute-button"; at: Timestamp }
  | { kind: "mute"; at: Timestamp }
  | { kind: "mute-for"; at: Timestamp; duration: Millis }
  | { kind: "unmute"; at: Timestamp }
  | { kind: "mute-switch"; at: Timestamp; on: boolean }
  | { kind: "led-ack"; at: Timestamp; pattern: LedPattern }
  | { kind: "timer"; at: Timestamp; name: TimerName }
  | { kind: "mode"; at: Timestamp; mode: Mode }
  | { kind: "policy"; at: Timestamp; farFieldAllowed: boolean; forceMute: boolean }
  | { kind: "wake-engine"; at: Timestamp; available: boolean }
  | { kind: "guardian-hours"; at: Timestamp; closed: boolean }
  | { kind: "mic-error"; at: Timestamp; reason: string };

export type DiscardReason = "mute" | "false-wake" | "led-ack-timeout" | "led-not-acked" | "mode-change" | "policy" | "mic-error";
export type EndReason = "end-of-speech" | "max-length" | "talk-up" | "max-hold";

export type AuditEvent =
  | { type: "mute"; cause: MuteCause; until?: Timestamp }
  | { type: "unmute"; cause: "button" | "switch" | "timer" | "fleet" | "guardian" }
  | { type: "mode"; mode: Mode }
  | { type: "session-kept"; trigger: Trigger; frames: number; reason: EndReason }
  | { type: "session-discarded"; trigger: Trigger; frames: number; reason: DiscardReason }
  | { type: "false-wake" }
  | { type: "failed"; reason: FailReason };

export interface PersistedGate {
  mode: Mode;
  hwSwitch: boolean;
  fleetMute: boolean;
  userMute: UserMute | null;
}

export type GateEffect =
  | { kind: "open-mic" }
  | { kind: "close-mic" }
  | { kind: "led"; pattern: LedPattern }
  | { kind: "session-start"; id: number; trigger: Trigger; at: Timestamp; keyword?: Keyword }
  | { kind: "accept-frame"; id: number }
  | { kind: "session-keep"; id: number; at: Timestamp; reason: EndReason }
  | { kind: "session-discard"; id: number; reason: DiscardReason }
  | { kind: "set-timer"; name: TimerName; at: Timestamp }
  | { kind: "cancel-timer"; name: TimerName }
  | { kind: "persist"; state: PersistedGate }
  | { kind: "audit"; event: AuditEvent }
  | { kind: "voice-unavailable"; reason: string }
  | { kind: "sound"; name: "mute-on" | "mute-off" | "error" };

/** A refused request: the bridge answers it with a nack carrying this code. */
export interface Refusal {
  code: "MUTE_SWITCH_ON" | "FLEET_MUTE" | "MUTED" | "NOT_MUTED" | "FAILED" | "GUARDIAN_HOURS";
  message: string;
}

export interface Step {
  state: GateState;
  effects: GateEffect[];
  refused?: Refusal;
}

/** What firmware and the status line see. */
export interface GateSnapshot {
  state: Phase["kind"];
  mode: Mode;
  muted: boolean;
  mutedBy: MuteCause | null;
  muteUntil: Timestamp | null;
  hwSwitch: boolean;
  micOpen: boolean;
  led: LedPattern;
  trigger: Trigger | null;
  failReason: FailReason | null;
  wakeAvailable: boolean;
  farFieldAllowed: boolean;
}

export const isMuted = (s: GateState): boolean => s.hwSwitch || s.fleetMute || s.guardianClosed || s.userMute !== null;

export function mutedBy(s: GateState): MuteCause | null {
  if (s.hwSwitch) return "switch";
  if (s.fleetMute) return "fleet";
  if (s.guardianClosed) return "guardian";
  if (s.userMute) return s.userMute.until !== undefined ? "timer" : "button";
  return null;
}

export const micOpen = (p: Phase): boolean => p.kind === "armed" || p.kind === "capturing";

export function ledOf(p: Phase): LedPattern {
  switch (p.kind) {
    case "muted":
      return "muted";
    case "capturing":
      return "listening";
    case "failed":
      return "error";
    case "armed":
    case "standby":
      return "idle";
    default:
      return assertNever(p);
  }
}

export function snapshot(s: GateState): GateSnapshot {
  return {
    state: s.phase.kind,
    mode: s.mode,
    muted: isMuted(s),
    mutedBy: mutedBy(s),
    muteUntil: s.userMute?.until ?? null,
    hwSwitch: s.hwSwitch,
    micOpen: micOpen(s.phase),
    led: ledOf(s.phase),
    trigger: s.phase.kind === "capturing" ? s.phase.session.trigger : null,
    failReason: s.phase.kind === "failed" ? s.phase.reason : null,
    wakeAvailable: s.wakeAvailable,
    farFieldAllowed: s.farFieldAllowed,
  };
}

export const persisted = (s: GateState): PersistedGate => ({
  mode: s.mode,
  hwSwitch: s.hwSwitch,
  fleetMute: s.fleetMute,
  userMute: s.userMute,
});

/** Field-by-field, so the per-frame path does no serialisation. */
function persistedChanged(a: GateState, b: GateState): boolean {
  return (
    a.mode !== b.mode ||
    a.hwSwitch !== b.hwSwitch ||
    a.fleetMute !== b.fleetMute ||
    (a.userMute === null) !== (b.userMute === null) ||
    a.userMute?.until !== b.userMute?.until
  );
}

/** Can far-field listening run at all? */
const farFieldReady = (s: GateState): boolean => s.mode === "far" && s.wakeAvailable && s.farFieldAllowed;

/** The resting phase for the current mode and flags (not muted, not failed). */
const restPhase = (s: GateState): Phase => (farFieldReady(s) ? { kind: "armed" } : { kind: "standby" });

/**
 * The state a boot starts in, from what was persisted. A timed mute whose deadline passed while
 * the agent was down is over; an interrupted session is not restored (there is none to restore).
 */
export function initialState(
  p: PersistedGate | null,
  now: Timestamp,
  opts: { wakeAvailable: boolean; farFieldAllowed: boolean; defaultMode: Mode; guardianClosed?: boolean },
): { state: GateState; expiredTimedMute: boolean } {
  const userMute = p?.userMute ?? null;
  const expiredTimedMute = userMute?.until !== undefined && userMute.until <= now;
  const s: GateState = {
    phase: { kind: "standby" },
    mode: p?.mode ?? opts.defaultMode,
    hwSwitch: p?.hwSwitch ?? false,
    fleetMute: p?.fleetMute ?? false,
    guardianClosed: opts.guardianClosed ?? false,
    userMute: expiredTimedMute ? null : userMute,
    wakeAvailable: opts.wakeAvailable,
    farFieldAllowed: opts.farFieldAllowed,
    nextSessionId: 1,
    consecutiveFailures: 0,
  };
  s.phase = isMuted(s) ? { kind: "muted" } : restPhase(s);
  return { state: s, expiredTimedMute };
}

/** Effects to bring the outside world in line with a freshly built state (boot). */
export function bootEffects(s: GateState): GateEffect[] {
  const fx: GateEffect[] = [{ kind: "led", pattern: ledOf(s.phase) }];
  if (s.userMute?.until !== undefined) fx.push({ kind: "set-timer", name: "mute-deadline", at: s.userMute.until });
  if (!isMuted(s) && s.mode === "far" && !farFieldReady(s)) fx.push(unavailable(s));
  if (micOpen(s.phase)) fx.push({ kind: "open-mic" });
  return fx;
}

function unavailable(s: GateState): GateEffect {
  if (isMuted(s)) return { kind: "voice-unavailable", reason: `muted (${mutedBy(s) ?? "?"})` };
  if (s.mode === "far" && !s.wakeAvailable) return { kind: "voice-unavailable", reason: "no wake-word engine: far-field off, push-to-talk only" };
  if (s.mode === "far" && !s.farFieldAllowed) return { kind: "voice-unavailable", reason: "far-field disabled by policy: push-to-talk only" };
  return { kind: "voice-unavailable", reason: "capture failed" };
}

export function transition(s: GateState, input: GateInput, cfg: GateConfig): Step {
  const r = reduce(s, input, cfg);
  return finalize(s, r);
}

/** Adds the effects that follow from the phase change alone: mic, LED, persistence. */
function finalize(before: GateState, r: Step): Step {
  const after = r.state;
  const fx: GateEffect[] = [];
  const wasOpen = micOpen(before.phase);
  const isOpen = micOpen(after.phase);
  if (wasOpen && !isOpen) fx.push({ kind: "close-mic" });
  const ledBefore = ledOf(before.phase);
  const ledAfter = ledOf(after.phase);
  if (ledBefore !== ledAfter) fx.push({ kind: "led", pattern: ledAfter });
  fx.push(...r.effects);
  if (persistedChanged(before, after)) fx.push({ kind: "persist", state: persisted(after) });
  if (!wasOpen && isOpen) fx.push({ kind: "open-mic" });
  return r.refused ? { state: after, effects: fx, refused: r.refused } : { state: after, effects: fx };
}

const stay = (s: GateState): Step => ({ state: s, effects: [] });
const refuse = (s: GateState, code: Refusal["code"], message: string, fx: GateEffect[] = []): Step => ({
  state: s,
  effects: fx,
  refused: { code, message },
});

/** Ends whatever session is open and returns the effects that do it. */
function dropSession(s: GateState, reason: DiscardReason): GateEffect[] {
  if (s.phase.kind !== "capturing") return [];
  const { session } = s.phase;
  return [
    ...sessionTimersOff(session),
    { kind: "session-discard", id: session.id, reason },
    { kind: "audit", event: { type: "session-discarded", trigger: session.trigger, frames: session.frames, reason } },
  ];
}

function sessionTimersOff(session: Session): GateEffect[] {
  const fx: GateEffect[] = [];
  if (!session.acked) fx.push({ kind: "cancel-timer", name: "led-ack" });
  if (session.trigger === "talk") fx.push({ kind: "cancel-timer", name: "max-hold" });
  return fx;
}

/** Applies a change to the mute flags and moves the phase accordingly. */
function withMuteFlags(
  s: GateState,
  patch: Partial<Pick<GateState, "hwSwitch" | "fleetMute" | "guardianClosed" | "userMute">>,
  cause: MuteCause | "unmute-cause",
  fx: GateEffect[] = [],
): Step {
  const next: GateState = { ...s, ...patch };
  const was = isMuted(s);
  const now = isMuted(next);
  const effects = [...fx];
  if (s.userMute?.until !== undefined && next.userMute?.until !== s.userMute.until) effects.push({ kind: "cancel-timer", name: "mute-deadline" });
  if (next.userMute?.until !== undefined && next.userMute.until !== s.userMute?.until)
    effects.push({ kind: "set-timer", name: "mute-deadline", at: next.userMute.until });
  if (!was && now) {
    effects.unshift(...dropSession(s, "mute"));
    if (s.phase.kind === "failed") effects.unshift({ kind: "cancel-timer", name: "retry" });
    const by = mutedBy(next) ?? "button";
    effects.push({
      kind: "audit",
      event: next.userMute?.until !== undefined && by === "timer" ? { type: "mute", cause: by, until: next.userMute.until } : { type: "mute", cause: by },
    });
    effects.push({ kind: "sound", name: "mute-on" });
    return { state: { ...next, phase: { kind: "muted" } }, effects };
  }
  if (was && !now) {
    const unmuteCause = cause === "unmute-cause" ? "button" : cause;
    effects.push({ kind: "audit", event: { type: "unmute", cause: unmuteCause } });
    effects.push({ kind: "sound", name: "mute-off" });
    const rested = { ...next, phase: restPhase(next), consecutiveFailures: 0 };
    if (rested.mode === "far" && !farFieldReady(rested)) effects.push(unavailable(rested));
    return { state: rested, effects };
  }
  if (was && now && next.userMute?.until !== undefined && next.userMute.until !== s.userMute?.until) {
    effects.push({ kind: "audit", event: { type: "mute", cause: "timer", until: next.userMute.until } });
  }
  return { state: next, effects };
}

function localUnmute(s: GateState): Step {
  if (!isMuted(s)) return refuse(s, "NOT_MUTED", "not muted");
  if (s.hwSwitch) return refuse(s, "MUTE_SWITCH_ON", "the hardware mute switch is on; slide it off to unmute");
  if (s.fleetMute) return refuse(s, "FLEET_MUTE", "muted by fleet policy; the policy must lift it");
  if (s.guardianClosed) return refuse(s, "GUARDIAN_HOURS", "outside the hours a guardian set for this speaker; it listens again when they begin");
  return withMuteFlags(s, { userMute: null }, "button");
}

function startSession(s: GateState, at: Timestamp, trigger: Trigger, cfg: GateConfig, keyword?: Keyword): Step {
  const session: Session = { id: s.nextSessionId, trigger, startedAt: at, frames: 0, speechFrames: 0, silentRun: 0, acked: false };
  if (keyword !== undefined) session.keyword = keyword;
  const fx: GateEffect[] = [
    keyword !== undefined ? { kind: "session-start", id: session.id, trigger, at, keyword } : { kind: "session-start", id: session.id, trigger, at },
    { kind: "set-timer", name: "led-ack", at: addMillis(at, cfg.ledAckMs) },
  ];
  if (trigger === "talk") fx.push({ kind: "set-timer", name: "max-hold", at: addMillis(at, cfg.maxHoldMs) });
  return { state: { ...s, nextSessionId: s.nextSessionId + 1, phase: { kind: "capturing", session } }, effects: fx };
}

/** Ends the open session normally: kept if the LED was acknowledged, discarded otherwise. */
function endSession(s: GateState, session: Session, at: Timestamp, reason: EndReason): Step {
  const rest = { ...s, phase: restPhase(s) };
  if (!session.acked) {
    return { state: rest, effects: dropSession(s, "led-not-acked") };
  }
  return {
    state: rest,
    effects: [
      ...sessionTimersOff(session),
      { kind: "session-keep", id: session.id, at, reason },
      { kind: "audit", event: { type: "session-kept", trigger: session.trigger, frames: session.frames, reason } },
    ],
  };
}

function fail(s: GateState, at: Timestamp, reason: FailReason, discard: DiscardReason | null, cfg: GateConfig): Step {
  const failures = s.consecutiveFailures + 1;
  const delay = Math.min(cfg.retryMs * 2 ** Math.min(failures - 1, 10), 60_000);
  const fx: GateEffect[] = [
    ...(discard ? dropSession(s, discard) : []),
    { kind: "audit", event: { type: "failed", reason } },
    { kind: "voice-unavailable", reason: reason === "mic-error" ? "microphone failed" : "listening LED not acknowledged by firmware" },
    { kind: "sound", name: "error" },
    { kind: "set-timer", name: "retry", at: addMillis(at, delay as Millis) },
  ];
  return { state: { ...s, consecutiveFailures: failures, phase: { kind: "failed", reason } }, effects: fx };
}

/** Re-derives the resting phase after a mode/policy/engine change (not while muted or failed). */
function reRest(s: GateState, next: GateState, discard: DiscardReason): Step {
  if (isMuted(next) || next.phase.kind === "failed") return { state: next, effects: [] };
  if (next.phase.kind === "capturing") {
    const keepGoing = next.phase.session.trigger === "talk" || farFieldReady(next);
    if (keepGoing && next.mode === s.mode) return { state: next, effects: [] };
    const fx = dropSession(next, discard);
    const rested = { ...next, phase: restPhase(next) };
    if (next.mode === "far" && !farFieldReady(rested)) fx.push(unavailable(rested));
    return { state: rested, effects: fx };
  }
  const rested = { ...next, phase: restPhase(next) };
  const fx: GateEffect[] = [];
  if (rested.mode === "far" && !farFieldReady(rested) && (s.mode !== "far" || farFieldReady(s))) fx.push(unavailable(rested));
  return { state: rested, effects: fx };
}

function reduce(s: GateState, input: GateInput, cfg: GateConfig): Step {
  // Mute inputs first: they dominate every phase.
  switch (input.kind) {
    case "mute":
      return isMuted(s) && s.userMute && s.userMute.until === undefined ? stay(s) : withMuteFlags(s, { userMute: {} }, "button");
    case "mute-for":
      return withMuteFlags(s, { userMute: { until: addMillis(input.at, input.duration) } }, "timer");
    case "mute-button":
      return isMuted(s) ? localUnmute(s) : withMuteFlags(s, { userMute: {} }, "button");
    case "unmute":
      return localUnmute(s);
    case "mute-switch":
      return input.on === s.hwSwitch ? stay(s) : withMuteFlags(s, { hwSwitch: input.on }, "switch");
    case "timer":
      if (input.name === "mute-deadline") {
        const until = s.userMute?.until;
        if (until === undefined || input.at < until) return stay(s);
        return withMuteFlags(s, { userMute: null }, "timer");
      }
      break;
    case "policy": {
      const next = { ...s, farFieldAllowed: input.farFieldAllowed };
      // withMuteFlags re-derives the resting phase (with the new farFieldAllowed) when this unmutes.
      if (input.forceMute !== s.fleetMute) return withMuteFlags(next, { fleetMute: input.forceMute }, "fleet");
      return reRest(s, next, "policy");
    }
    case "mode": {
      if (input.mode === s.mode) return stay(s);
      const next = { ...s, mode: input.mode };
      const step = reRest(s, next, "mode-change");
      return { ...step, effects: [...step.effects, { kind: "audit", event: { type: "mode", mode: input.mode } }] };
    }
    case "guardian-hours":
      return input.closed === s.guardianClosed ? stay(s) : withMuteFlags(s, { guardianClosed: input.closed }, "guardian");
    case "wake-engine":
      return input.available === s.wakeAvailable ? stay(s) : reRest(s, { ...s, wakeAvailable: input.available }, "policy");
    default:
      break;
  }

  const p = s.phase;
  switch (p.kind) {
    case "muted":
      // Mic is closed; late frames, wake hits and acks from before the mute are ignored.
      if (input.kind === "talk" && input.action === "down") return refuse(s, "MUTED", "muted: unmute first", [unavailable(s)]);
      return stay(s);

    case "armed":
      switch (input.kind) {
        case "wake":
          return startSession(s, input.at, "wake", cfg, input.keyword);
        case "talk":
          return input.action === "down" ? startSession(s, input.at, "talk", cfg) : stay(s);
        case "frame":
          return s.consecutiveFailures === 0 ? stay(s) : { state: { ...s, consecutiveFailures: 0 }, effects: [] };
        case "mic-error":
          return fail(s, input.at, "mic-error", null, cfg);
        default:
          return stay(s);
      }

    case "standby":
      switch (input.kind) {
        case "talk":
          return input.action === "down" ? startSession(s, input.at, "talk", cfg) : stay(s);
        default:
          // Wake hits are ignored here (near-field, or far-field without engine/permission).
          return stay(s);
      }

    case "capturing": {
      const session = p.session;
      switch (input.kind) {
        case "frame": {
          const sess: Session = {
            ...session,
            frames: session.frames + 1,
            speechFrames: session.speechFrames + (input.speech ? 1 : 0),
            silentRun: input.speech ? 0 : session.silentRun + 1,
          };
          const next: GateState = { ...s, consecutiveFailures: 0, phase: { kind: "capturing", session: sess } };
          const accept: GateEffect = { kind: "accept-frame", id: sess.id };
          if (sess.trigger === "wake") {
            if (sess.speechFrames < cfg.minSpeechFrames && sess.frames >= cfg.falseWakeFrames) {
              const fx = dropSession(next, "false-wake");
              return { state: { ...next, phase: restPhase(next) }, effects: [accept, ...fx, { kind: "audit", event: { type: "false-wake" } }] };
            }
            if (sess.speechFrames >= cfg.minSpeechFrames && sess.silentRun >= cfg.trailingSilenceFrames) {
              const r = endSession(next, sess, input.at, "end-of-speech");
              return { state: r.state, effects: [accept, ...r.effects] };
            }
          }
          if (sess.frames >= cfg.maxSessionFrames) {
            const r = endSession(next, sess, input.at, "max-length");
            return { state: r.state, effects: [accept, ...r.effects] };
          }
          return { state: next, effects: [accept] };
        }
        case "led-ack":
          if (input.pattern !== "listening" || session.acked) return stay(s);
          return {
            state: { ...s, phase: { kind: "capturing", session: { ...session, acked: true } } },
            effects: [{ kind: "cancel-timer", name: "led-ack" }],
          };
        case "talk":
          // Talk events do not touch a wake session; a talk session ends on release.
          if (session.trigger !== "talk" || input.action !== "up") return stay(s);
          return endSession(s, session, input.at, "talk-up");
        case "timer":
          if (input.name === "led-ack" && !session.acked) return fail(s, input.at, "led-ack-timeout", "led-ack-timeout", cfg);
          if (input.name === "max-hold" && session.trigger === "talk") return endSession(s, session, input.at, "max-hold");
          return stay(s);
        case "mic-error":
          return fail(s, input.at, "mic-error", "mic-error", cfg);
        default:
          return stay(s);
      }
    }

    case "failed":
      switch (input.kind) {
        case "timer":
          if (input.name !== "retry") return stay(s);
          return { state: { ...s, phase: restPhase(s) }, effects: s.mode === "far" && !farFieldReady(s) ? [unavailable(s)] : [] };
        case "talk":
          return input.action === "down" ? refuse(s, "FAILED", `capture failed (${p.reason}); retrying`, [unavailable(s)]) : stay(s);
        default:
          return stay(s);
      }

    default:
      return assertNever(p);
  }
}
