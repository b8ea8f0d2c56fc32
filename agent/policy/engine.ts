/**
 * Deciding about a fleet policy: parse the envelope, check the signature against the trusted
 * keys from local config, refuse replays and policies from the future, check the schema, and
 * refuse as a whole any policy that would loosen what the household chose or the code caps
 * allow. The effective policy is code caps ∩ household choices ∩ the applied fleet policy.
 * Pure: time comes in as a function, keys as objects; no I/O.
 */
import { firstIssue } from "../json-file.ts";
import { createHash, type KeyObject } from "node:crypto";
import type { Keyword } from "../ports/wake-engine.ts";
import { KEYWORDS } from "../ports/wake-engine.ts";
import { canonicalJson } from "../ledger/audit.ts";
import { RETENTION_CAP_DAYS } from "../ledger/retention.ts";
import { EnvelopeSchema, PolicySchema, type Envelope, type Policy, type RejectCode } from "./schema.ts";
import { verifyEnvelope } from "./trust.ts";

/** What the household chose (config and persisted settings): a fleet policy may only narrow it. */
export interface HouseholdChoices {
  retentionDays: number;
  uploads: boolean;
  trainingUse: boolean;
  alphaMin: number;
  alphaMax: number;
  wakeWords: readonly Keyword[];
  /** A child's speaker (config profile "child"): no policy may loosen what that means. */
  child?: boolean;
}

/** A child's speaker keeps voice material at most this long (REQUIREMENTS CHD: shorter retention). */
export const CHILD_RETENTION_DAYS = 30;

export interface EffectivePolicy {
  retentionDays: number;
  uploads: boolean;
  alpha: readonly [number, number];
  trainingAllowed: boolean;
  farField: boolean;
  wakeWords: readonly Keyword[];
  forceMute: boolean;
  /** The fleet puts its devices in hotel mode (a device configured as a hotel is one whatever this says). */
  hotel: boolean;
  uploadEndpoints: readonly string[] | null;
  maxSessionSeconds: number | null;
  endOfSpeechMs: number | null;
  /** Applied fleet policy version (0: none) and hash of its canonical JSON. */
  version: number;
  hash: string | null;
}

export type Offer = { ok: true; version: number; hash: string; policy: Policy } | { ok: false; code: RejectCode; message: string; version: number | null };

export const MAX_FUTURE_MS = 5 * 60_000;

export const policyHash = (p: Policy): string => createHash("sha256").update(canonicalJson(p)).digest("hex").slice(0, 16);

/** The tighten-only rule: null if the policy only narrows, else why not. */
export function guard(p: Policy, h: HouseholdChoices): { code: RejectCode; message: string } | null {
  if (h.child) {
    if (p.trainingUse === "allowed") return { code: "CHILD_PROFILE", message: "a child's speaker never allows training use" };
    if (p.hotel) return { code: "CHILD_PROFILE", message: "a child's speaker cannot be put in hotel mode" };
    if (p.retentionDays > CHILD_RETENTION_DAYS)
      return { code: "CHILD_PROFILE", message: `a child's speaker keeps voice material at most ${CHILD_RETENTION_DAYS} days` };
  }
  if (p.wakeWords?.some((w) => !h.wakeWords.includes(w))) return { code: "WAKE_WORD_ADDED", message: "the policy enables a wake word the household has not" };
  if (!p.voiceModification && p.uploads) return { code: "VOICE_MOD_OFF_WHILE_UPLOADING", message: "voice modification cannot be off while uploads are on" };
  if (p.trainingUse === "allowed" && !h.trainingUse) return { code: "TRAINING_AGAINST_HOUSEHOLD", message: "the household has opted out of training use" };
  // An explicit α range must lie within the household's (uploads and the rest are intersected).
  if (p.alpha && (p.alpha.min < h.alphaMin || p.alpha.max > h.alphaMax))
    return { code: "ALPHA_OUTSIDE_HOUSEHOLD", message: `the α range must lie within the household's [${h.alphaMin}, ${h.alphaMax}]` };
  return null;
}

export class PolicyEngine {
  applied: { envelope: Envelope; policy: Policy; version: number; hash: string } | null = null;
  lastRejection: { code: RejectCode; version: number | null } | null = null;
  readonly counters = { applied: 0, rejected: 0 };
  /**
   * The highest version ever applied on this device (persisted, kept through wipes): no policy
   * at or below it is accepted again, even when the stored policy could not be restored.
   */
  floor = 0;

  readonly o: {
    trusted: ReadonlyMap<string, KeyObject>;
    household: () => HouseholdChoices;
    now: () => number;
  };
  constructor(o: { trusted: ReadonlyMap<string, KeyObject>; household: () => HouseholdChoices; now: () => number }) {
    this.o = o;
  }

  /** Checks an envelope (raw JSON text or a parsed value); applies it if it passes. */
  offer(raw: unknown): Offer {
    const r = this.check(raw);
    if (r.ok) {
      this.#apply(r);
      this.counters.applied++;
      return { ok: true, version: r.version, hash: r.hash, policy: r.policy };
    }
    this.lastRejection = { code: r.code, version: r.version };
    this.counters.rejected++;
    return r;
  }

  check(
    raw: unknown,
  ):
    { ok: true; envelope: Envelope; policy: Policy; version: number; hash: string } | { ok: false; code: RejectCode; message: string; version: number | null } {
    return this.#check(raw, true);
  }

  /**
   * One verification path. `arriving`: a policy offered now passes every check; a stored one
   * (restore) only its integrity checks — key, signature, schema.
   */
  #check(
    raw: unknown,
    arriving: boolean,
  ):
    { ok: true; envelope: Envelope; policy: Policy; version: number; hash: string } | { ok: false; code: RejectCode; message: string; version: number | null } {
    let value = raw;
    if (typeof raw === "string" || Buffer.isBuffer(raw)) {
      try {
        value = JSON.parse(raw.toString());
      } catch {
        return { ok: false, code: "MALFORMED", message: "not JSON", version: null };
      }
    }
    const env = EnvelopeSchema.safeParse(value);
    const version = typeof (value as { version?: unknown } | null)?.version === "number" ? (value as { version: number }).version : null;
    if (!env.success) return { ok: false, code: "MALFORMED", message: `envelope: ${firstIssue(env.error)}`, version };
    const e = env.data;
    const key = this.o.trusted.get(e.keyId);
    if (!key) return { ok: false, code: "UNKNOWN_KEY", message: `key ${e.keyId} is not trusted here`, version: e.version };
    if (!verifyEnvelope(e, key)) return { ok: false, code: "BAD_SIGNATURE", message: "the signature does not match", version: e.version };
    if (arriving) {
      const applied = Math.max(this.applied?.version ?? 0, this.floor);
      if (e.version <= applied)
        return { ok: false, code: "NOT_NEWER", message: `version ${e.version} is not above the applied ${applied}`, version: e.version };
      if (Date.parse(e.issuedAt) > this.o.now() + MAX_FUTURE_MS)
        return { ok: false, code: "FROM_THE_FUTURE", message: `issued at ${e.issuedAt}, after now`, version: e.version };
      const rd = e.policy.retentionDays;
      if (typeof rd === "number" && rd > RETENTION_CAP_DAYS)
        return { ok: false, code: "RETENTION_ABOVE_CAP", message: `retention ${rd} days exceeds the ${RETENTION_CAP_DAYS}-day cap`, version: e.version };
      // forceMute can only be switched on; "false" is an attempt to unmute (a later policy without
      // it lifts the fleet's own mute, never the household's).
      if (e.policy.forceMute === false) return { ok: false, code: "UNMUTE_ATTEMPT", message: "a policy can force mute on, never unmute", version: e.version };
    }
    const p = PolicySchema.safeParse(e.policy);
    if (!p.success) return { ok: false, code: "SCHEMA_INVALID", message: firstIssue(p.error), version: e.version };
    if (arriving) {
      const g = guard(p.data, this.o.household());
      if (g) return { ok: false, ...g, version: e.version };
    }
    return { ok: true, envelope: e, policy: p.data, version: e.version, hash: policyHash(p.data) };
  }

  /** Is this the envelope already in force (a broker re-delivering the retained copy)? */
  isApplied(raw: string): boolean {
    try {
      const e = JSON.parse(raw) as { version?: unknown; sig?: unknown };
      return this.applied !== null && e.version === this.applied.version && e.sig === this.applied.envelope.sig;
    } catch {
      return false;
    }
  }

  /**
   * The last good policy from storage, at boot: it passed every check when it arrived, so only
   * its integrity is checked again (trusted key, signature, schema). Not the clock (it may read
   * 1970 after a power cut) nor the household's later choices (they narrow the effective policy
   * anyway).
   */
  restore(raw: string): { ok: true } | { ok: false; code: RejectCode } {
    const r = this.#check(raw, false);
    if (!r.ok) return { ok: false, code: r.code };
    this.#apply(r);
    return { ok: true };
  }

  #apply(r: { envelope: Envelope; policy: Policy; version: number; hash: string }): void {
    this.applied = { envelope: r.envelope, policy: r.policy, version: r.version, hash: r.hash };
    this.floor = Math.max(this.floor, r.version);
  }

  /** Code caps ∩ household choices ∩ the applied fleet policy. */
  effective(): EffectivePolicy {
    const h = this.o.household();
    const p = this.applied?.policy;
    const cap = (d: number): number => Math.min(RETENTION_CAP_DAYS, d);
    return {
      retentionDays: cap(Math.min(h.retentionDays, p?.retentionDays ?? RETENTION_CAP_DAYS, h.child ? CHILD_RETENTION_DAYS : RETENTION_CAP_DAYS)),
      uploads: h.uploads && (p?.uploads ?? true),
      alpha: p?.alpha ? [Math.max(h.alphaMin, p.alpha.min), Math.min(h.alphaMax, p.alpha.max)] : [h.alphaMin, h.alphaMax],
      trainingAllowed: !h.child && h.trainingUse && (p ? p.trainingUse === "allowed" : true),
      farField: p?.farField ?? true,
      wakeWords: (p?.wakeWords ?? [...KEYWORDS]).filter((w) => h.wakeWords.includes(w)),
      forceMute: p?.forceMute === true,
      hotel: p?.hotel === true && !h.child,
      uploadEndpoints: p?.uploadEndpoints ?? null,
      maxSessionSeconds: p?.maxSessionSeconds ?? null,
      endOfSpeechMs: p?.endOfSpeechMs ?? null,
      version: this.applied?.version ?? 0,
      hash: this.applied?.hash ?? null,
    };
  }
}
