/**
 * The capture gate as a transition table: every (state, input) pair has a row with the phase
 * it must end in, including the "nothing happens" rows, plus invariants checked on every row.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  snapshot,
  bootEffects,
  initialState,
  isMuted,
  ledOf,
  micOpen,
  transition,
  type GateEffect,
  type GateInput,
  type GateState,
  type Phase,
} from "../../../agent/capture/gate.machine.ts";
import { Millis, Timestamp } from "../../../agent/units.ts";
import { GATE_CONFIG } from "../../helpers/gate-harness.ts";

const T0 = Timestamp(1_000_000);
const cfg = GATE_CONFIG;

const base: GateState = {
  phase: { kind: "armed" },
  mode: "far",
  hwSwitch: false,
  fleetMute: false,
  guardianClosed: false,
  userMute: null,
  wakeAvailable: true,
  farFieldAllowed: true,
  nextSessionId: 5,
  consecutiveFailures: 0,
};
const session = (trigger: "wake" | "talk", acked: boolean, frames = 3, speechFrames = 3): Phase => ({
  kind: "capturing",
  session: { id: 4, trigger, startedAt: Timestamp(T0 - 100), frames, speechFrames, silentRun: 0, acked },
});

const STATES: Record<string, GateState> = {
  "muted-button": { ...base, phase: { kind: "muted" }, userMute: {} },
  "muted-timer": { ...base, phase: { kind: "muted" }, userMute: { until: Timestamp(T0 + 60_000) } },
  "muted-switch": { ...base, phase: { kind: "muted" }, hwSwitch: true },
  "muted-fleet": { ...base, phase: { kind: "muted" }, fleetMute: true },
  armed: base,
  "standby-near": { ...base, mode: "near", phase: { kind: "standby" } },
  "standby-no-engine": { ...base, wakeAvailable: false, phase: { kind: "standby" } },
  "capturing-wake": { ...base, phase: session("wake", false) },
  "capturing-wake-acked": { ...base, phase: session("wake", true) },
  "capturing-talk-near": { ...base, mode: "near", phase: session("talk", true) },
  failed: { ...base, phase: { kind: "failed", reason: "mic-error" }, consecutiveFailures: 1 },
};

const INPUTS: Record<string, GateInput> = {
  "frame-speech": { kind: "frame", at: T0, speech: true },
  "frame-silent": { kind: "frame", at: T0, speech: false },
  wake: { kind: "wake", at: T0, keyword: "天猫精灵" },
  "talk-down": { kind: "talk", at: T0, action: "down" },
  "talk-up": { kind: "talk", at: T0, action: "up" },
  "mute-button": { kind: "mute-button", at: T0 },
  mute: { kind: "mute", at: T0 },
  "mute-for": { kind: "mute-for", at: T0, duration: Millis(30 * 60_000) },
  unmute: { kind: "unmute", at: T0 },
  "switch-on": { kind: "mute-switch", at: T0, on: true },
  "switch-off": { kind: "mute-switch", at: T0, on: false },
  "led-ack": { kind: "led-ack", at: T0, pattern: "listening" },
  "timer-led-ack": { kind: "timer", at: T0, name: "led-ack" },
  "timer-deadline": { kind: "timer", at: Timestamp(T0 + 60_000), name: "mute-deadline" },
  "timer-deadline-early": { kind: "timer", at: Timestamp(T0 + 59_999), name: "mute-deadline" },
  "timer-max-hold": { kind: "timer", at: T0, name: "max-hold" },
  "timer-retry": { kind: "timer", at: T0, name: "retry" },
  "mode-near": { kind: "mode", at: T0, mode: "near" },
  "mode-far": { kind: "mode", at: T0, mode: "far" },
  "policy-force-mute": { kind: "policy", at: T0, farFieldAllowed: true, forceMute: true },
  "policy-lift": { kind: "policy", at: T0, farFieldAllowed: true, forceMute: false },
  "policy-no-far": { kind: "policy", at: T0, farFieldAllowed: false, forceMute: false },
  "engine-lost": { kind: "wake-engine", at: T0, available: false },
  "mic-error": { kind: "mic-error", at: T0, reason: "recorder died" },
};

type Kind = Phase["kind"];
/** Every way to mute: from any unmuted phase these all end in `muted`. */
const MUTES = { "mute-button": "muted", mute: "muted", "mute-for": "muted", "switch-on": "muted", "policy-force-mute": "muted" } as const;

/** Expected phase after each input; inputs not listed leave the phase as it was. */
const EXPECT: Record<string, Partial<Record<keyof typeof INPUTS, Kind>>> = {
  "muted-button": { "mute-button": "armed", unmute: "armed", "policy-force-mute": "muted", "policy-lift": "muted" },
  "muted-timer": { "mute-button": "armed", unmute: "armed", "timer-deadline": "armed", mute: "muted" },
  "muted-switch": { "switch-off": "armed", "mute-button": "muted", unmute: "muted" },
  "muted-fleet": { "policy-lift": "armed", "policy-no-far": "standby", "mute-button": "muted", unmute: "muted" },
  armed: {
    wake: "capturing",
    "talk-down": "capturing",
    ...MUTES,
    "mode-near": "standby",
    "policy-no-far": "standby",
    "engine-lost": "standby",
    "mic-error": "failed",
  },
  "standby-near": { "talk-down": "capturing", ...MUTES, "mode-far": "armed" },
  "standby-no-engine": {
    "talk-down": "capturing",
    "mute-button": "muted",
    mute: "muted",
    "mute-for": "muted",
    "switch-on": "muted",
    "policy-force-mute": "muted",
  },
  "capturing-wake": {
    ...MUTES,
    "timer-led-ack": "failed",
    "mode-near": "standby",
    "policy-no-far": "standby",
    "engine-lost": "standby",
    "mic-error": "failed",
  },
  "capturing-wake-acked": {
    ...MUTES,
    "mode-near": "standby",
    "policy-no-far": "standby",
    "engine-lost": "standby",
    "mic-error": "failed",
  },
  "capturing-talk-near": {
    "talk-up": "standby",
    "timer-max-hold": "standby",
    ...MUTES,
    "mode-far": "armed",
    "mic-error": "failed",
  },
  failed: { "timer-retry": "armed", "mute-button": "muted", mute: "muted", "mute-for": "muted", "switch-on": "muted", "policy-force-mute": "muted" },
};

const has = (fx: GateEffect[], kind: GateEffect["kind"]): boolean => fx.some((e) => e.kind === kind);
const idx = (fx: GateEffect[], kind: GateEffect["kind"]): number => fx.findIndex((e) => e.kind === kind);

const Table = suite("capture gate transition table");

for (const [sName, state] of Object.entries(STATES)) {
  for (const [iName, input] of Object.entries(INPUTS)) {
    const want = EXPECT[sName]?.[iName] ?? state.phase.kind;
    const title = want === state.phase.kind ? `${iName} leaves ${sName} in ${want}` : `${iName}: ${sName} → ${want}`;
    Table(title, () => {
      const { state: after, effects } = transition(state, input, cfg);
      assert.is(after.phase.kind, want);
      // Mic effects follow the phase exactly, close first and open last.
      const wasOpen = micOpen(state.phase);
      const isOpen = micOpen(after.phase);
      assert.is(has(effects, "close-mic"), wasOpen && !isOpen, "close-mic iff the mic closes");
      assert.is(has(effects, "open-mic"), !wasOpen && isOpen, "open-mic iff the mic opens");
      if (has(effects, "close-mic")) assert.is(idx(effects, "close-mic"), 0, "close-mic comes first");
      if (has(effects, "open-mic")) assert.is(idx(effects, "open-mic"), effects.length - 1, "open-mic comes last");
      // The LED follows the phase: listening exactly while capturing.
      const led = effects.filter((e): e is Extract<GateEffect, { kind: "led" }> => e.kind === "led");
      if (ledOf(state.phase) !== ledOf(after.phase))
        assert.equal(
          led.map((e) => e.pattern),
          [ledOf(after.phase)],
        );
      else assert.is(led.length, 0);
      // Never open or accept anything while muted.
      if (isMuted(after)) {
        assert.not.ok(isOpen);
        assert.not.ok(has(effects, "accept-frame"));
        assert.not.ok(has(effects, "session-start"));
      }
      // A session that ends because of a mute is discarded, never kept.
      if (state.phase.kind === "capturing" && isMuted(after)) {
        assert.ok(effects.some((e) => e.kind === "session-discard" && e.reason === "mute"));
        assert.not.ok(has(effects, "session-keep"));
      }
    });
  }
}
Table.run();

const Rules = suite("capture gate rules");

Rules("the hardware switch cannot be overridden by software", () => {
  const s = STATES["muted-switch"]!;
  for (const i of ["unmute", "mute-button"] as const) {
    const step = transition(s, INPUTS[i]!, cfg);
    assert.is(step.refused?.code, "MUTE_SWITCH_ON");
    assert.is(step.state.phase.kind, "muted");
  }
});

Rules("a fleet mute is not lifted by a local unmute", () => {
  assert.is(transition(STATES["muted-fleet"]!, INPUTS.unmute!, cfg).refused?.code, "FLEET_MUTE");
});

Rules(
  "a guardian's hours close the gate like a mute: the session is dropped, an unmute is refused politely, only the hours reopen it (keeping a household mute)",
  () => {
    const close: GateInput = { kind: "guardian-hours", at: T0, closed: true };
    const open: GateInput = { kind: "guardian-hours", at: T0, closed: false };
    const capturing = STATES["capturing-talk-near"]!;
    const closed = transition(capturing, close, cfg);
    assert.is(closed.state.phase.kind, "muted");
    assert.ok(
      closed.effects.some((e) => e.kind === "session-discard"),
      "the open session is discarded",
    );
    assert.ok(closed.effects.some((e) => e.kind === "close-mic"));
    assert.equal(snapshot(closed.state).mutedBy, "guardian");
    for (const i of ["unmute", "mute-button"] as const) {
      const step = transition(closed.state, INPUTS[i]!, cfg);
      assert.is(step.refused?.code, "GUARDIAN_HOURS", i);
      assert.is(step.state.phase.kind, "muted");
    }
    assert.is(transition(closed.state, INPUTS["talk-down"]!, cfg).state.phase.kind, "muted", "push-to-talk captures nothing either");
    assert.is(transition(closed.state, open, cfg).state.phase.kind, "standby", "the hours begin: listening again (near-field rests in standby)");
    const household: GateState = { ...closed.state, userMute: {} };
    assert.is(transition(household, open, cfg).state.phase.kind, "muted", "a household mute outlasts the closed hours");
    assert.equal(transition(STATES.armed!, open, cfg).effects, [], "already open: nothing happens");
  },
);

Rules("lifting the fleet mute keeps a household mute", () => {
  const s: GateState = { ...STATES["muted-fleet"]!, userMute: {} };
  assert.is(transition(s, INPUTS["policy-lift"]!, cfg).state.phase.kind, "muted");
});

Rules("switch off keeps a timed mute that is still running", () => {
  const s: GateState = { ...STATES["muted-timer"]!, hwSwitch: true };
  const after = transition(s, INPUTS["switch-off"]!, cfg).state;
  assert.is(after.phase.kind, "muted");
  assert.equal(after.userMute, { until: T0 + 60_000 });
});

Rules("a timed mute sets and cancels its deadline timer", () => {
  const muted = transition(base, INPUTS["mute-for"]!, cfg);
  assert.ok(muted.effects.some((e) => e.kind === "set-timer" && e.name === "mute-deadline" && e.at === T0 + 30 * 60_000));
  const unmuted = transition(muted.state, INPUTS.unmute!, cfg);
  assert.ok(unmuted.effects.some((e) => e.kind === "cancel-timer" && e.name === "mute-deadline"));
});

Rules("mute state and mode are persisted on every change", () => {
  const muted = transition(base, INPUTS.mute!, cfg);
  assert.ok(muted.effects.some((e) => e.kind === "persist" && e.state.userMute !== null));
  const moded = transition(base, INPUTS["mode-near"]!, cfg);
  assert.ok(moded.effects.some((e) => e.kind === "persist" && e.state.mode === "near"));
  assert.not.ok(has(transition(base, INPUTS["frame-silent"]!, cfg).effects, "persist"));
});

Rules("a wake session with too little speech is a false wake", () => {
  let s: GateState = { ...base, phase: session("wake", true, 0, 0) };
  let fx: GateEffect[] = [];
  for (let i = 0; i < cfg.falseWakeFrames; i++) ({ state: s, effects: fx } = transition(s, INPUTS["frame-silent"]!, cfg));
  assert.is(s.phase.kind, "armed");
  assert.ok(fx.some((e) => e.kind === "session-discard" && e.reason === "false-wake"));
  assert.ok(fx.some((e) => e.kind === "audit" && e.event.type === "false-wake"));
});

Rules("trailing silence after speech ends and keeps an acknowledged wake session", () => {
  let s: GateState = { ...base, phase: session("wake", true, 3, 3) };
  let fx: GateEffect[] = [];
  for (let i = 0; i < cfg.trailingSilenceFrames; i++) ({ state: s, effects: fx } = transition(s, INPUTS["frame-silent"]!, cfg));
  assert.is(s.phase.kind, "armed");
  assert.ok(fx.some((e) => e.kind === "session-keep" && e.reason === "end-of-speech"));
});

Rules("an unacknowledged session that ends is discarded", () => {
  let s: GateState = { ...base, phase: session("wake", false, 3, 3) };
  let fx: GateEffect[] = [];
  for (let i = 0; i < cfg.trailingSilenceFrames; i++) ({ state: s, effects: fx } = transition(s, INPUTS["frame-silent"]!, cfg));
  assert.ok(fx.some((e) => e.kind === "session-discard" && e.reason === "led-not-acked"));
  assert.not.ok(has(fx, "session-keep"));
});

Rules("sessions are capped at maxSessionFrames of audio", () => {
  let s: GateState = { ...base, mode: "near", phase: session("talk", true, cfg.maxSessionFrames - 1) };
  const step = transition(s, INPUTS["frame-speech"]!, cfg);
  s = step.state;
  assert.is(s.phase.kind, "standby");
  assert.ok(step.effects.some((e) => e.kind === "session-keep" && e.reason === "max-length"));
});

Rules("failures back off exponentially, capped at 60 s", () => {
  const at = (failures: number): number => {
    const s: GateState = { ...base, consecutiveFailures: failures };
    const fx = transition(s, INPUTS["mic-error"]!, cfg).effects.find((e) => e.kind === "set-timer");
    return fx && fx.kind === "set-timer" ? fx.at - T0 : -1;
  };
  assert.is(at(0), cfg.retryMs);
  assert.is(at(1), cfg.retryMs * 2);
  assert.is(at(30), 60_000);
});

Rules("boot: a timed mute that ran out while the agent was down is over", () => {
  const { state, expiredTimedMute } = initialState({ mode: "far", hwSwitch: false, fleetMute: false, userMute: { until: Timestamp(T0 - 1) } }, T0, {
    wakeAvailable: true,
    farFieldAllowed: true,
    defaultMode: "far",
  });
  assert.ok(expiredTimedMute);
  assert.is(state.phase.kind, "armed");
});

Rules("boot: muted stays muted, mic closed, deadline timer re-armed", () => {
  const until = Timestamp(T0 + 5000);
  const { state } = initialState({ mode: "near", hwSwitch: false, fleetMute: false, userMute: { until } }, T0, {
    wakeAvailable: true,
    farFieldAllowed: true,
    defaultMode: "far",
  });
  assert.is(state.phase.kind, "muted");
  assert.is(state.mode, "near");
  const fx = bootEffects(state);
  assert.not.ok(has(fx, "open-mic"));
  assert.ok(fx.some((e) => e.kind === "set-timer" && e.at === until));
});

Rules("boot: far-field without a wake engine tells firmware voice is unavailable", () => {
  const { state } = initialState(null, T0, { wakeAvailable: false, farFieldAllowed: true, defaultMode: "far" });
  assert.is(state.phase.kind, "standby");
  assert.ok(bootEffects(state).some((e) => e.kind === "voice-unavailable"));
});

Rules("talk-down while muted is refused and reported", () => {
  const step = transition(STATES["muted-button"]!, INPUTS["talk-down"]!, cfg);
  assert.is(step.refused?.code, "MUTED");
  assert.ok(has(step.effects, "voice-unavailable"));
});

Rules.run();
