/** Fleet policy decisions: trust, replay, schema, the tighten-only guard, and a mutation fuzz. */
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { PolicyEngine, type HouseholdChoices } from "../../../agent/policy/engine.ts";
import { generateKeys, publicKeyFromPem, signEnvelope } from "../../../agent/policy/trust.ts";
import type { Envelope } from "../../../agent/policy/schema.ts";

const keys = generateKeys();
const other = generateKeys();
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const household: HouseholdChoices = {
  retentionDays: 180,
  uploads: true,
  trainingUse: false,
  alphaMin: 0.5,
  alphaMax: 0.9,
  wakeWords: ["天猫精灵", "你好天猫"],
};

const engine = (h: HouseholdChoices = household): PolicyEngine =>
  new PolicyEngine({ trusted: new Map([[keys.keyId, publicKeyFromPem(keys.publicPem)]]), household: () => h, now: () => NOW });
const sign = (policy: Record<string, unknown>, version: number, pem = keys.privatePem, issuedAt = new Date(NOW - 1000).toISOString()): Envelope =>
  signEnvelope(pem, { policy, version, issuedAt });

const P = suite("policy engine");

P("a valid signed policy applies; the effective policy is caps ∩ household ∩ fleet", () => {
  const e = engine();
  const r = e.offer(JSON.stringify(sign({ retentionDays: 30, alpha: { min: 0.6, max: 0.8 }, farField: false }, 3)));
  assert.ok(r.ok, JSON.stringify(r));
  const eff = e.effective();
  assert.equal([eff.retentionDays, eff.alpha, eff.farField, eff.trainingAllowed, eff.version], [30, [0.6, 0.8], false, false, 3]);
  assert.ok(eff.hash && /^[0-9a-f]{16}$/.test(eff.hash));
});

P("without a fleet policy, the household's choices and the caps hold", () => {
  const eff = engine({ ...household, trainingUse: true, retentionDays: 90 }).effective();
  assert.equal([eff.retentionDays, eff.trainingAllowed, eff.uploads, eff.version, eff.forceMute], [90, true, true, 0, false]);
});

P("trust: unknown key, bad signature, replay/rollback and the future are refused with their codes", () => {
  const e = engine();
  assert.ok(e.offer(sign({}, 5)).ok);
  const cases: Array<[Envelope | string, string]> = [
    [sign({}, 6, other.privatePem), "UNKNOWN_KEY"],
    [{ ...sign({}, 6), policy: { retentionDays: 10 } }, "BAD_SIGNATURE"],
    [sign({}, 5), "NOT_NEWER"],
    [sign({}, 4), "NOT_NEWER"],
    [sign({}, 7, keys.privatePem, new Date(NOW + 3_600_000).toISOString()), "FROM_THE_FUTURE"],
    ["{not json", "MALFORMED"],
    [{ ...sign({}, 8), extra: 1 } as unknown as Envelope, "MALFORMED"],
  ];
  for (const [env, code] of cases) {
    const r = e.offer(env);
    assert.is(r.ok ? "applied" : r.code, code, JSON.stringify(env).slice(0, 80));
  }
  assert.is(e.effective().version, 5, "the last good policy stays in force");
  assert.ok(e.offer(sign({}, 6)).ok, "a newer valid one still applies");
});

P("a child's speaker: never training use, at most 30 days, whatever the household's settings or an accepted policy say", () => {
  const e = engine({ ...household, trainingUse: true, retentionDays: 180, child: true });
  assert.equal([e.effective().trainingAllowed, e.effective().retentionDays], [false, 30], "before any policy");
  assert.ok(e.offer(sign({ retentionDays: 20, trainingUse: "forbidden" }, 1)).ok, "tightening is accepted");
  assert.is(e.effective().retentionDays, 20);
});

P("guard table: every forbidden loosening is rejected as a whole, with its reason", () => {
  const table: Array<[string, Record<string, unknown>, string, HouseholdChoices?]> = [
    ["retention above 180 days", { retentionDays: 365 }, "RETENTION_ABOVE_CAP"],
    ["unmute", { forceMute: false }, "UNMUTE_ATTEMPT"],
    ["add a wake word the household turned off", { wakeWords: ["天猫精灵", "你好天猫"] }, "WAKE_WORD_ADDED", { ...household, wakeWords: ["天猫精灵"] }],
    ["voice modification off while uploading", { voiceModification: false, uploads: true }, "VOICE_MOD_OFF_WHILE_UPLOADING"],
    ["training use after the household opted out", { trainingUse: "allowed" }, "TRAINING_AGAINST_HOUSEHOLD"],
    ["α range wider than the household's", { alpha: { min: 0.5, max: 0.95 } }, "ALPHA_OUTSIDE_HOUSEHOLD"],
    [
      "training use on a child's speaker (even one whose training choice is on)",
      { trainingUse: "allowed" },
      "CHILD_PROFILE",
      { ...household, trainingUse: true, child: true },
    ],
    ["hotel mode on a child's speaker", { hotel: true }, "CHILD_PROFILE", { ...household, child: true }],
    ["retention beyond a child's 30 days", { retentionDays: 90 }, "CHILD_PROFILE", { ...household, child: true }],
    ["an unknown field", { retentionDays: 30, telemetry: true }, "SCHEMA_INVALID"],
    ["a wrong type", { retentionDays: "30" }, "SCHEMA_INVALID"],
  ];
  for (const [what, policy, code, h] of table) {
    const e = engine(h);
    const r = e.offer(sign(policy, 1));
    assert.is(r.ok ? "applied" : r.code, code, what);
    assert.is(e.effective().version, 0, `${what}: nothing applied`);
    assert.equal(e.lastRejection, { code, version: 1 });
  }
  // And what is allowed: tightening.
  assert.ok(engine().offer(sign({ forceMute: true, uploads: false, voiceModification: false, wakeWords: ["你好天猫"], retentionDays: 1 }, 1)).ok);
});

P("uploads allowed by the fleet stay off when the household switched them off (intersection, not rejection)", () => {
  const e = engine({ ...household, uploads: false });
  assert.ok(e.offer(sign({ uploads: true }, 1)).ok);
  assert.is(e.effective().uploads, false);
});

P("hotel mode: a policy can switch it on, never off by saying so; a later policy without it lifts it", () => {
  const e = engine();
  assert.is(e.effective().hotel, false);
  assert.ok(e.offer(JSON.stringify(sign({ hotel: true }, 1))).ok);
  assert.is(e.effective().hotel, true);
  const off = e.offer(JSON.stringify(sign({ hotel: false }, 2)));
  assert.ok(!off.ok && off.code === "SCHEMA_INVALID", JSON.stringify(off));
  assert.is(e.effective().hotel, true, "the refused policy changed nothing");
  assert.ok(e.offer(JSON.stringify(sign({}, 3))).ok);
  assert.is(e.effective().hotel, false);
});

P("the version floor outlives the stored policy: no replay after a restore fails; restore ignores the clock", () => {
  const e = engine();
  assert.ok(e.offer(sign({ forceMute: true }, 9)).ok);
  const stored = JSON.stringify(e.applied!.envelope);
  // Boot with the clock reset to 1970: the stored policy is restored all the same.
  const booted = new PolicyEngine({ trusted: new Map([[keys.keyId, publicKeyFromPem(keys.publicPem)]]), household: () => household, now: () => 0 });
  booted.floor = 9;
  assert.ok(booted.restore(stored).ok);
  assert.is(booted.effective().forceMute, true);
  assert.ok(booted.isApplied(stored), "a re-delivered retained copy is recognised");
  // Boot after the key was rotated out: nothing restored, but older policies stay refused.
  const rotated = new PolicyEngine({ trusted: new Map([[other.keyId, publicKeyFromPem(other.publicPem)]]), household: () => household, now: () => NOW });
  rotated.floor = 9;
  assert.is(rotated.restore(stored).ok, false);
  const replay = rotated.offer(signEnvelope(other.privatePem, { policy: {}, version: 3, issuedAt: new Date(NOW).toISOString() }));
  assert.is(replay.ok ? "applied" : replay.code, "NOT_NEWER");
});

P("omitted fields take the strictest sensible values", () => {
  const e = engine({ ...household, trainingUse: true });
  assert.ok(e.offer(sign({}, 1)).ok);
  const eff = e.effective();
  assert.equal([eff.retentionDays, eff.trainingAllowed], [30, false]);
});

P("fuzz: 2,500 mutations of a valid envelope; only unmodified valid ones apply", () => {
  const base = sign({ retentionDays: 60, alpha: { min: 0.6, max: 0.85 } }, 10);
  const text = JSON.stringify(base);
  const mutation = fc.oneof(
    // bit flips anywhere in the serialized envelope
    fc
      .record({ at: fc.nat(text.length - 1), bit: fc.integer({ min: 0, max: 6 }) })
      .map(({ at, bit }) => text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ (1 << bit)) + text.slice(at + 1)),
    // signature bit flips
    fc.record({ at: fc.nat(85), bit: fc.integer({ min: 0, max: 7 }) }).map(({ at, bit }) => {
      const sig = Buffer.from(base.sig, "base64");
      sig[at % sig.length] = sig[at % sig.length]! ^ (1 << bit);
      return JSON.stringify({ ...base, sig: sig.toString("base64") });
    }),
    // field deletions, additions and type changes (envelope and policy)
    fc
      .record({
        key: fc.constantFrom("policy", "version", "issuedAt", "keyId", "sig"),
        value: fc.oneof(fc.constant(undefined), fc.string(), fc.integer(), fc.double(), fc.constant(null), fc.array(fc.nat()), fc.object()),
      })
      .map(({ key, value }) => JSON.stringify({ ...base, [key]: value })),
    fc
      .record({
        key: fc.constantFrom("retentionDays", "uploads", "alpha", "trainingUse", "forceMute", "wakeWords", "x"),
        value: fc.oneof(fc.constant(undefined), fc.string(), fc.integer({ min: -1e9, max: 1e9 }), fc.boolean(), fc.constant(null), fc.object()),
      })
      .map(({ key, value }) => JSON.stringify({ ...base, policy: { ...base.policy, [key]: value } })),
    fc.string({ minLength: 1, maxLength: 8 }).map((k) => JSON.stringify({ ...base, [`extra-${k}`]: 1 })),
    // huge values
    fc.constantFrom(
      JSON.stringify({ ...base, version: 1e300 }),
      JSON.stringify({ ...base, sig: "A".repeat(100_000) }),
      JSON.stringify({ ...base, policy: { ...base.policy, retentionDays: 1e12 } }),
    ),
    // wrong key id, replayed versions
    fc.constantFrom(
      JSON.stringify({ ...base, keyId: other.keyId }),
      JSON.stringify(sign({ retentionDays: 60 }, 9)),
      JSON.stringify(sign({ retentionDays: 60 }, 8)),
      text,
    ),
  );
  let rejected = 0;
  let mutatedApplied = 0;
  fc.assert(
    fc.property(mutation, (m) => {
      const e = engine();
      assert.ok(e.offer(sign({ retentionDays: 90 }, 9)).ok);
      const before = JSON.stringify(e.effective());
      const r = e.offer(m);
      if (r.ok) {
        // Only a byte-identical valid envelope (or a semantically identical re-encoding) may apply:
        // the signature covers the canonical form, so anything that applies must equal the base.
        const parsed = JSON.parse(m) as Envelope;
        assert.equal({ ...parsed }, JSON.parse(text), "a mutated envelope applied");
        mutatedApplied++;
      } else {
        rejected++;
        assert.ok(e.lastRejection, "the rejection is reported");
        assert.is(JSON.stringify(e.effective()), before, "the effective policy is unchanged");
      }
    }),
    { numRuns: 2500 },
  );
  assert.ok(rejected > 2300, `${rejected} rejected`);
  assert.ok(mutatedApplied > 0, "the unmodified valid envelope applies (the fuzz can tell the difference)");
});

P.run();
