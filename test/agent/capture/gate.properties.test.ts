/**
 * Privacy invariants of the capture gate as properties over random event sequences (fast-check,
 * virtual clock), run through the real driver and machine. Each property runs on at least
 * 5,000 sequences (SPA_PROPERTY_RUNS raises it).
 */
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { isMuted } from "../../../agent/capture/gate.machine.ts";
import { GATE_CONFIG, isComposite, runGate, type Command, type Trace } from "../../helpers/gate-harness.ts";

const RUNS = Math.max(5000, Number(process.env.SPA_PROPERTY_RUNS ?? 0));

const interrupt = fc.constantFrom(
  null,
  null,
  null,
  "mute-button" as const,
  "mute" as const,
  "mute-for" as const,
  "switch-on" as const,
  "mode" as const,
  "mic-error" as const,
  "force-mute" as const,
);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ t: fc.constant("frame" as const), speech: fc.boolean(), wake: fc.boolean(), dt: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant("frames" as const), n: fc.integer({ min: 1, max: 45 }), speech: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant("advance" as const), ms: fc.oneof(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 900_000 })) }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("to-deadline" as const), offset: fc.constantFrom(-1 as const, 0 as const, 1 as const) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("talk" as const), action: fc.constantFrom("down" as const, "up" as const) }) },
  { weight: 3, arbitrary: fc.constant({ t: "mute-button" as const }) },
  { weight: 2, arbitrary: fc.constant({ t: "mute" as const }) },
  { weight: 2, arbitrary: fc.constant({ t: "unmute" as const }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("mute-for" as const), ms: fc.integer({ min: 1, max: 600_000 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("switch" as const), on: fc.boolean() }) },
  { weight: 6, arbitrary: fc.constant({ t: "led-ack" as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("mode" as const), mode: fc.constantFrom("far" as const, "near" as const) }) },
  { weight: 1, arbitrary: fc.constant({ t: "mic-error" as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("policy" as const), forceMute: fc.boolean(), farField: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("guardian" as const), closed: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ t: "restart" as const }) },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant("say" as const),
      ack: fc.boolean(),
      speech: fc.integer({ min: 0, max: 20 }),
      silence: fc.integer({ min: 0, max: 12 }),
      interrupt,
    }),
  },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("press-talk" as const), ack: fc.boolean(), frames: fc.integer({ min: 0, max: 40 }), interrupt }) },
);
const sequence = fc.array(command, { minLength: 1, maxLength: 60, size: "medium" });

/**
 * Runs one invariant over RUNS random sequences, and checks the sequences really reached the
 * situations the invariant is about (so a property cannot pass by never getting there).
 */
async function check(name: string, invariant: (t: Trace) => void, settleEvery = true): Promise<void> {
  const seen: Record<string, number> = {
    runs: 0,
    keptWake: 0,
    keptTalk: 0,
    mutedWhileCapturing: 0,
    timedMuteEnded: 0,
    talkUps: 0,
    interruptedCaptures: 0,
    guardianClosedWhileCapturing: 0,
  };
  // Without settling, frames must reach the gate while the mic is still closing.
  if (!settleEvery) seen.deliveredWhileMuted = 0;
  await fc.assert(
    fc.asyncProperty(sequence, async (cmds) => {
      const t = await runGate(cmds, { settleEvery });
      seen.runs!++;
      for (const k of t.kept) k.meta.trigger === "wake" ? seen.keptWake!++ : seen.keptTalk!++;
      if (!settleEvery) seen.deliveredWhileMuted! += t.frames.filter((f) => f.muted && f.delivered).length;
      for (const s of t.steps) {
        if (s.before.phase.kind === "capturing" && isMuted(s.after)) seen.mutedWhileCapturing!++;
        if (s.before.phase.kind === "capturing" && s.after.guardianClosed) seen.guardianClosedWhileCapturing!++;
        if (s.before.userMute?.until !== undefined && s.after.userMute === null && s.cmd.t !== "unmute" && s.cmd.t !== "mute-button") seen.timedMuteEnded!++;
        if (s.cmd.t === "talk" && s.cmd.action === "up" && s.before.phase.kind === "capturing") seen.talkUps!++;
        if (s.cmd.t === "press-talk" && s.before.phase.kind !== "muted") seen.talkUps!++;
      }
      seen.interruptedCaptures! += t.interrupts.filter((r) => r.before.phase.kind === "capturing").length;
      invariant(t);
    }),
    { numRuns: RUNS },
  );
  console.log(`  ${name}: ${JSON.stringify(seen)}`);
  assert.ok(seen.runs! >= RUNS);
  for (const [k, v] of Object.entries(seen)) assert.ok(v > 0, `${name}: the random sequences never reached "${k}"`);
}

const P = suite("capture gate properties");

P("no frame enters a kept session unless a wake hit (far-field) or talk-down opened it and no mute intervened", async () => {
  await check("trigger", (t) => {
    for (const k of t.kept) {
      const start = t.starts.get(k.meta.id);
      assert.ok(start, `kept session ${k.meta.id} has a recorded start`);
      if (k.meta.trigger === "wake") {
        assert.is(start.by, "wake-frame", "a wake session starts on a frame the wake engine fired on");
        assert.is(start.mode, "far", "wake sessions only in far-field");
      } else assert.is(start.by, "talk-down", "a talk session starts on talk-down");
      for (const tag of k.tags) {
        const f = t.frames[tag];
        assert.ok(f, `frame ${tag} exists`);
        assert.is(f.sessionId, k.meta.id, `frame ${tag} arrived while session ${k.meta.id} was capturing`);
        assert.not.ok(f.muted, `frame ${tag} did not arrive while muted`);
      }
      assert.is(k.tags.length, k.meta.frames, "the kept audio holds exactly the accepted frames");
    }
  });
});

P("while muted the mic is closed and no frame is accepted", async () => {
  await check("mute closes", (t) => {
    for (const s of t.steps) {
      if (isMuted(s.after)) assert.not.ok(s.micOpenAfter, `mic closed after ${s.cmd.t} while muted`);
      // A timed mute can end inside a step (and a new mute start before it ends): frames in
      // between are legitimately captured, now that the mic opens as soon as it is wanted.
      const timedOnly = s.before.userMute?.until !== undefined && !s.before.hwSwitch && !s.before.fleetMute && !s.before.guardianClosed;
      const mutedThroughout = !(timedOnly && s.before.userMute!.until! <= s.atAfter);
      if (isMuted(s.before) && isMuted(s.after) && mutedThroughout && s.cmd.t !== "restart")
        assert.is(s.acceptedDelta, 0, `no frame accepted during ${s.cmd.t} while muted`);
    }
    for (const f of t.frames) {
      assert.not.ok(f.muted && f.accepted, `frame ${f.tag} accepted while muted`);
      assert.not.ok(f.muted && f.delivered, `frame ${f.tag} delivered by an open mic while muted (after settling)`);
    }
  });
});

P("frames delivered before the mic finished closing are dropped, not accepted", async () => {
  await check(
    "late frames",
    (t) => {
      for (const f of t.frames) assert.not.ok(f.muted && f.accepted, `frame ${f.tag} accepted while muted`);
      for (const k of t.kept) for (const tag of k.tags) assert.not.ok(t.frames[tag]!.muted);
    },
    false,
  );
});

P("every kept session had its listening LED acknowledged in time", async () => {
  await check("led ack", (t) => {
    for (const k of t.kept) {
      const ackAt = t.acks.get(k.meta.id);
      assert.ok(ackAt !== undefined, `session ${k.meta.id} was acknowledged`);
      assert.ok(ackAt - k.meta.startedAt < GATE_CONFIG.ledAckMs, "acknowledged before the LED-ack deadline");
    }
  });
});

P("a mute at any point discards the open session", async () => {
  await check("mute discards", (t) => {
    const keptIds = new Set(t.kept.map((k) => k.meta.id));
    for (const r of t.interrupts) {
      if (r.before.phase.kind !== "capturing" || r.kind === "mode" || r.kind === "mic-error") continue;
      assert.ok(isMuted(r.after), `${r.kind} during a capture mutes`);
      assert.not.ok(keptIds.has(r.before.phase.session.id), `the session interrupted by ${r.kind} is not kept`);
      assert.is(r.acceptedAfter, 0, `no frame accepted after ${r.kind}`);
    }
    for (const s of t.steps) {
      const muteInput = s.cmd.t === "mute" || s.cmd.t === "mute-for" || (s.cmd.t === "switch" && s.cmd.on) || (s.cmd.t === "mute-button" && !isMuted(s.before));
      if (muteInput) {
        const timedOut = s.cmd.t === "mute-for" && s.cmd.ms <= s.atAfter - s.atBefore;
        if (!timedOut) assert.ok(isMuted(s.after), `${s.cmd.t} mutes from ${s.before.phase.kind}`);
        assert.not.ok(s.micOpenAfter, `${s.cmd.t} leaves the mic closed`);
      }
      if (s.before.phase.kind === "capturing" && isMuted(s.after) && !isComposite(s.cmd)) {
        assert.not.ok(keptIds.has(s.before.phase.session.id), `session ${s.before.phase.session.id} muted during ${s.cmd.t} was not kept`);
      }
    }
  });
});

P("a timed mute ends at its deadline, not a frame before", async () => {
  await check("timed mute", (t) => {
    for (const s of t.steps) {
      const until = s.before.userMute?.until;
      if (until === undefined || !isMuted(s.before)) continue;
      const explicit =
        s.cmd.t === "unmute" ||
        s.cmd.t === "mute-button" ||
        s.cmd.t === "mute" ||
        s.cmd.t === "mute-for" ||
        (isComposite(s.cmd) && "interrupt" in s.cmd && s.cmd.interrupt !== null);
      if (!explicit && s.atAfter < until) assert.ok(isMuted(s.after), `still muted at ${until - s.atAfter} ms before the deadline`);
      if (!explicit && s.atAfter >= until) {
        assert.is(s.after.userMute, null, "the timed mute is over once its deadline passed");
        // Another mute (the switch, the fleet, the guardian's hours) may still hold.
        if (!s.after.hwSwitch && !s.after.fleetMute && !s.after.guardianClosed) assert.not.ok(isMuted(s.after), "unmuted at the deadline");
      }
    }
  });
});

P("near-field capture never extends past talk-up", async () => {
  await check("talk-up", (t) => {
    for (const s of t.steps) {
      if (s.cmd.t === "talk" && s.cmd.action === "up" && s.before.phase.kind === "capturing" && s.before.phase.session.trigger === "talk") {
        const id = s.before.phase.session.id;
        assert.ok(s.after.phase.kind !== "capturing" || s.after.phase.session.id !== id, "talk-up ends the talk session");
      }
    }
    for (const k of t.kept) {
      if (k.meta.trigger !== "talk") continue;
      assert.ok(k.meta.endedAt - k.meta.startedAt <= GATE_CONFIG.maxHoldMs, "no talk session outlives maxHold");
      for (const tag of k.tags) assert.is(t.frames[tag]!.sessionId, k.meta.id);
    }
  });
});

P.run();
