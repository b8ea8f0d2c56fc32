/**
 * The consent registry's rules (table tests) and, as properties over random sequences of grants
 * and withdrawals on a real ledger: nothing is granted without a current consent, a withdrawal
 * always wins, and the history keeps every change.
 */
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { current, NOTICES, purposeFeature, refuse, withdrawalEffect, type ConsentContext, type ConsentRecord } from "../../../agent/consent/features.ts";
import { ConsentRegistry } from "../../../agent/consent/registry.ts";
import { openAgentDb } from "../../../agent/ledger/agent-db.ts";
import { Consents } from "../../../agent/ledger/consents.ts";

const C = suite("consent registry");
const ctx: ConsentContext = {
  operatorDefault: { uploads: true, training: false },
  purposes: [{ id: "noise-study", version: 2, zh: "噪声研究", en: "Noise study" }],
};

function registry(context: ConsentContext = ctx): { r: ConsentRegistry; audit: string[]; effects: string[]; t: { now: number } } {
  const audit: string[] = [];
  const effects: string[] = [];
  const t = { now: 1_000 };
  const r = new ConsentRegistry({
    store: new Consents(openAgentDb(":memory:")),
    context: () => context,
    now: () => t.now++,
    audit: (type) => void audit.push(type),
    withdraw: (e) => (effects.push(e.kind), 1),
  });
  return { r, audit, effects, t };
}

C("refusals: basic service, unknown features, outdated notices, a voiceprint without its person, a child's speaker without a guardian or for training", () => {
  const table: Array<[Parameters<typeof refuse>[0], ConsentContext, string | null]> = [
    [{ feature: "voice-service", grant: false, by: "household" }, ctx, "BASIC_FEATURE"],
    [{ feature: "camera", grant: true, notice: "x", by: "household" }, ctx, "UNKNOWN_FEATURE"],
    [{ feature: "training", grant: true, notice: "consent.training.v0", by: "household" }, ctx, "NOTICE_OUTDATED"],
    [{ feature: "training", grant: true, notice: null, by: "household" }, ctx, "NOTICE_OUTDATED"],
    [{ feature: "training", grant: true, notice: NOTICES.training.key, by: "household" }, ctx, null],
    [{ feature: "training", grant: false, by: "household" }, ctx, null],
    [{ feature: "voiceprint", grant: true, notice: NOTICES.voiceprint.key, by: "household" }, ctx, "PERSON_REQUIRED"],
    [{ feature: "voiceprint", grant: true, person: "妈妈", notice: NOTICES.voiceprint.key, by: "household" }, ctx, null],
    [{ feature: "uploads", grant: true, person: "妈妈", notice: NOTICES.uploads.key, by: "household" }, ctx, "UNKNOWN_FEATURE"],
    [{ feature: "purpose:noise-study", grant: true, notice: "purpose.noise-study.v1", by: "household" }, ctx, "NOTICE_OUTDATED"],
    [{ feature: "purpose:noise-study", grant: true, notice: "purpose.noise-study.v2", by: "household" }, ctx, null],
    [{ feature: "purpose:gone", grant: true, notice: "purpose.gone.v1", by: "household" }, ctx, "UNKNOWN_FEATURE"],
    [{ feature: "uploads", grant: true, notice: NOTICES.uploads.key, by: "household" }, { ...ctx, child: true }, "GUARDIAN_REQUIRED"],
    [{ feature: "uploads", grant: true, notice: NOTICES.uploads.key, by: "guardian" }, { ...ctx, child: true }, null],
    [{ feature: "uploads", grant: false, by: "household" }, { ...ctx, child: true }, null],
    [{ feature: "training", grant: true, notice: NOTICES.training.key, by: "guardian" }, { ...ctx, child: true }, "CHILD_PROFILE"],
  ];
  for (const [change, context, code] of table) assert.is(refuse(change, context)?.code ?? null, code, JSON.stringify(change));
});

C("defaults: the operator's for uploads and training, off for the rest; a child's speaker defaults to off", () => {
  assert.equal(
    ["uploads", "training", "voiceprint", "diagnostics", purposeFeature("noise-study")].map((f) => current([], f, null, ctx).granted),
    [true, false, false, false, false],
  );
  assert.is(current([], "uploads", null, { ...ctx, child: true }).granted, false);
});

C("what a withdrawal stops", () => {
  assert.equal(withdrawalEffect("uploads", null), { kind: "cancel-queued-uploads" });
  assert.equal(withdrawalEffect("training", null), { kind: "untrain-queued-uploads" });
  assert.equal(withdrawalEffect("voiceprint", "爸爸"), { kind: "delete-voiceprints", person: "爸爸" });
  assert.equal(withdrawalEffect("purpose:noise-study", null), { kind: "none" });
});

C("a recorded change is audited (without the person's name) and a withdrawal's effect carried out at once", () => {
  const { r, audit, effects } = registry();
  assert.ok(r.change({ feature: "voiceprint", grant: true, person: "妈妈", notice: NOTICES.voiceprint.key, by: "household", source: "cli" }).ok);
  const w = r.change({ feature: "voiceprint", grant: false, person: "妈妈", by: "household", source: "cli" });
  assert.ok(w.ok && w.affected === 1);
  assert.equal(effects, ["delete-voiceprints"]);
  assert.equal(audit, ["consent-granted", "consent-withdrawn"]);
  assert.equal(
    r.list().find((l) => l.feature === "voiceprint"),
    { feature: "voiceprint", person: "妈妈", granted: false, by: "household", since: 1001, notice: null, currentNotice: NOTICES.voiceprint.key },
  );
  assert.equal(r.voiceprintPeople(), []);
});

type Op = { feature: string; grant: boolean; person: string | null; notice: "current" | "old" | "none"; by: "household" | "guardian" };
const ops = fc.array(
  fc.record({
    feature: fc.constantFrom("uploads", "training", "voiceprint", "diagnostics", "purpose:noise-study", "voice-service", "camera"),
    grant: fc.boolean(),
    person: fc.constantFrom(null, "妈妈", "爸爸"),
    notice: fc.constantFrom("current", "old", "none"),
    by: fc.constantFrom("household", "guardian"),
  }) as fc.Arbitrary<Op>,
  { maxLength: 40 },
);

C(
  "property: a feature is on only with a current grant (or the operator's default before any choice); a withdrawal always wins; the history keeps every accepted change",
  () => {
    fc.assert(
      fc.property(ops, fc.boolean(), (seq, child) => {
        const context = { ...ctx, child };
        const { r } = registry(context);
        const accepted: Op[] = [];
        for (const op of seq) {
          const notice = op.notice === "none" ? null : op.notice === "old" ? "consent.old.v0" : (r.notice(op.feature)?.key ?? "x");
          const res = r.change({ feature: op.feature, grant: op.grant, person: op.person, notice, by: op.by, source: "test" });
          if (res.ok) accepted.push(op);
          // A withdrawal of a real optional feature (voiceprint: of a named person) is never refused.
          const withdrawable = !op.grant && op.feature !== "voice-service" && op.feature !== "camera" && (op.feature === "voiceprint") === (op.person !== null);
          if (withdrawable) assert.ok(res.ok, `withdrawal refused: ${JSON.stringify(op)}`);
          // A grant is recorded only against the current notice, and on a child's speaker only by a guardian.
          if (op.grant && res.ok) assert.ok(op.notice === "current" && (!child || (op.by === "guardian" && op.feature !== "training")));
          if (res.ok) assert.is(r.granted(op.feature, op.person), op.grant, "the newest accepted change is in force");
        }
        for (const f of ["uploads", "training", "diagnostics", "purpose:noise-study"]) {
          const last = accepted.filter((o) => o.feature === f).at(-1);
          const expected = last ? last.grant : !child && (f === "uploads" || f === "training") ? context.operatorDefault[f as "uploads"] : false;
          assert.is(r.granted(f), expected, f);
        }
        for (const p of ["妈妈", "爸爸"]) {
          const last = accepted.filter((o) => o.feature === "voiceprint" && o.person === p).at(-1);
          assert.is(r.granted("voiceprint", p), last?.grant ?? false);
        }
        const h: ConsentRecord[] = r.history();
        assert.is(h.length, accepted.length);
        assert.equal(
          h.map((x) => x.granted),
          accepted.map((o) => o.grant),
        );
      }),
      { numRuns: 200 },
    );
  },
);

C.run();
