/**
 * The consent registry at work: the rules (./features.ts) over the ledger's history
 * (ledger/consents.ts), every change audited, and a withdrawal's effect carried out at once by the
 * agent (`withdraw`), so that processing stops within the same cycle.
 */
import type { Consents } from "../ledger/consents.ts";
import {
  BASIC_FEATURE,
  current,
  featuresOf,
  noticeFor,
  refuse,
  withdrawalEffect,
  type ConsentChange,
  type ConsentContext,
  type ConsentRecord,
  type ConsentRefusal,
  type Notice,
  type WithdrawalEffect,
  TRAINING_OFF_NOTICE,
} from "./features.ts";

/** One line of the registry as the household sees it (bridge get-state, spa consent list). */
export interface ConsentView {
  feature: string;
  person?: string;
  granted: boolean;
  /** Who made the choice in force ("default" when nobody has: the operator's or "not granted"). */
  by: ConsentRecord["by"] | "default";
  /** When (ms since the epoch), null for a default. */
  since: number | null;
  /** The notice the choice was made against (null: a default or a wipe). */
  notice: string | null;
  /** The notice a grant must be made against now. */
  currentNotice: string;
}

export type ChangeResult = { ok: true; record: ConsentRecord; effect: WithdrawalEffect; affected: number } | ({ ok: false } & ConsentRefusal);

export interface ConsentRegistryOptions {
  store: Consents;
  context: () => ConsentContext;
  now: () => number;
  audit: (type: string, data: Record<string, unknown>) => void;
  /** Carries out a withdrawal's effect; returns how many items it touched. */
  withdraw: (e: WithdrawalEffect) => number;
  /** Told after every recorded change, with the record (the agent refreshes what depends on that feature). */
  changed?: (record: ConsentRecord) => void;
  /** People with voiceprints stored (listed even before anyone consented for them). */
  people?: () => string[];
}

export class ConsentRegistry {
  readonly o: ConsentRegistryOptions;
  constructor(o: ConsentRegistryOptions) {
    this.o = o;
  }

  granted(feature: string, person: string | null = null): boolean {
    return current(this.o.store.history(), feature, person, this.o.context()).granted;
  }

  /** The people with a voiceprint consent in force. */
  voiceprintPeople(): string[] {
    const h = this.o.store.history();
    const people = [...new Set(h.filter((r) => r.feature === "voiceprint" && r.person).map((r) => r.person!))];
    return people.filter((p) => this.granted("voiceprint", p));
  }

  /** Every permission now: the basic service, each optional feature (voiceprint per person) and each fleet purpose. */
  list(): ConsentView[] {
    const ctx = this.o.context();
    const h = this.o.store.history();
    const view = (feature: string, person: string | null): ConsentView => {
      const c = current(h, feature, person, ctx);
      return {
        feature,
        ...(person ? { person } : {}),
        granted: c.granted,
        by: c.record?.by ?? "default",
        since: c.record?.at ?? null,
        notice: c.record?.notice ?? null,
        currentNotice: noticeFor(feature, ctx)!.key,
      };
    };
    const out: ConsentView[] = [];
    for (const f of featuresOf(ctx)) {
      if (f !== "voiceprint") out.push(view(f, null));
      else
        for (const p of [...new Set([...h.filter((r) => r.feature === f && r.person).map((r) => r.person!), ...(this.o.people?.() ?? [])])])
          out.push(view(f, p));
    }
    return out;
  }

  /** The basic service's line: always on, needs no consent. */
  static readonly basic = { feature: BASIC_FEATURE, granted: true, withdrawable: false } as const;

  history(): ConsentRecord[] {
    return this.o.store.history();
  }

  notice(feature: string): Notice | null {
    return noticeFor(feature, this.o.context());
  }

  /** What to tell the household after withdrawing a feature (training: answers may be less accurate), or null. */
  withdrawalNotice(feature: string): { key: string; zh: string; en: string } | null {
    return feature === "training" ? { ...TRAINING_OFF_NOTICE } : null;
  }

  /** The notice of every feature (key, Chinese, English), for the firmware to speak before asking. */
  notices(): Array<{ key: string; zh: string; en: string }> {
    const ctx = this.o.context();
    return featuresOf(ctx).map((f) => {
      const n = noticeFor(f, ctx)!;
      return { key: n.key, zh: n.zh, en: n.en };
    });
  }

  /** Records a grant or a withdrawal (if the rules allow it), audits it, and carries out a withdrawal's effect. */
  change(c: ConsentChange & { source: string }): ChangeResult {
    const ctx = this.o.context();
    const no = refuse(c, ctx);
    if (no) return { ok: false, ...no };
    const person = c.person ?? null;
    const record = this.o.store.append({
      feature: c.feature,
      person,
      granted: c.grant,
      notice: c.grant ? c.notice! : null,
      by: c.by,
      source: c.source,
      at: this.o.now(),
    });
    const effect = c.grant ? ({ kind: "none" } as const) : withdrawalEffect(c.feature, person);
    const affected = effect.kind === "none" ? 0 : this.o.withdraw(effect);
    // The person's name stays out of the privacy history: it is the household's, and the audit is exported.
    this.o.audit(c.grant ? "consent-granted" : "consent-withdrawn", {
      feature: c.feature,
      by: c.by,
      source: c.source,
      ...(c.grant ? { notice: c.notice } : { effect: effect.kind, affected }),
    });
    this.o.changed?.(record);
    return { ok: true, record, effect, affected };
  }
}
