/**
 * The household's consent registry, its rules (pure; REQUIREMENTS CON-01..04, CON-10, DEID-03).
 *
 * Every optional feature has its own recorded choice — granted or withdrawn, against which notice
 * (a versioned text the firmware speaks or shows), by whom, when — and a history that keeps every
 * change including withdrawals. Basic voice service needs none of them and cannot be withdrawn
 * (to stop listening, mute). A choice nobody has made yet falls back to a default: the operator's
 * (config) for uploads and training use, "not granted" for everything else; after a wipe the
 * fallback is the strictest value until the household chooses again. A fleet policy may name new
 * collection purposes: each stays inert until the household grants it.
 */

/** The features the household chooses about (fleet purposes are `purpose:<id>`). */
export const OPTIONAL_FEATURES = ["uploads", "training", "voiceprint", "diagnostics"] as const;
export type OptionalFeature = (typeof OPTIONAL_FEATURES)[number];
/** What the speaker does with no consent at all: the gate, the wake word, push-to-talk, local captures. */
export const BASIC_FEATURE = "voice-service";

/** Who made a choice. */
export type ConsentBy = "household" | "guardian" | "operator" | "wipe";

/** One entry of the history (the registry is append-only; the newest per feature and person is in force). */
export interface ConsentRecord {
  seq: number;
  feature: string;
  /** The person a per-person consent (voiceprint) is about; null otherwise. */
  person: string | null;
  granted: boolean;
  /** The notice key the choice was made against (e.g. consent.training.v1); null for defaults and wipes. */
  notice: string | null;
  by: ConsentBy;
  /** Where the choice came in: bridge, cli, page, policy, start, wipe. */
  source: string;
  at: number;
}

/** A notice the firmware can speak or show before asking (its key is versioned: a changed text is a new key). */
export interface Notice {
  key: string;
  feature: string;
  zh: string;
  en: string;
}

/** The notices of the built-in features (a fleet purpose brings its own). */
export const NOTICES: Readonly<Record<OptionalFeature, Notice>> = {
  uploads: {
    key: "consent.uploads.v1",
    feature: "uploads",
    zh: "开启后，唤醒后的语音会先经过变声和去标识化处理，再上传用于语音服务；关闭后录音只保存在本设备上。",
    en: "When on, what you say after the wake word is voice-modified and de-identified, then uploaded for the voice service; when off, recordings stay on this speaker.",
  },
  training: {
    key: "consent.training.v1",
    feature: "training",
    zh: "开启后，上传的变声语音可用于改进语音模型；关闭后不会用于模型训练，应答准确度可能会受到影响。",
    en: "When on, uploaded voice-modified speech may be used to improve speech models; when off it is never used for training, and answers may be less accurate.",
  },
  voiceprint: {
    key: "consent.voiceprint.v1",
    feature: "voiceprint",
    zh: "声纹属于敏感的个人生物识别信息。开启后，将为此人录入唤醒词声纹模板，加密保存在本设备上，仅用于识别唤醒词；可随时查看、更名或删除，删除后不可恢复。",
    en: "A voiceprint is sensitive biometric data. When on, wake-word templates of this person's voice are enrolled and kept encrypted on this speaker, used only to recognise the wake word; they can be listed, renamed or deleted at any time, and deletion cannot be undone.",
  },
  diagnostics: {
    key: "consent.diagnostics.v1",
    feature: "diagnostics",
    zh: "开启后，设备出现故障时可准备一份脱敏的诊断包（不含录音和语音内容），每次上传前仍需您单独确认；调试完成后24小时内删除。",
    en: "When on, a redacted diagnostics bundle (never audio or what was said) may be prepared after a fault; each upload still needs your confirmation, and it is deleted within 24 hours after debugging.",
  },
};

/** Said when training use is turned off (seed 002:809: 关闭后应答准确度可能会受到影响). */
export const TRAINING_OFF_NOTICE = {
  key: "notice.training-off.v1",
  zh: "已关闭语音用于模型训练。关闭后，应答准确度可能会受到影响。",
  en: "Your voice will no longer be used for model training. Answers may be less accurate.",
} as const;

/** A collection purpose a fleet policy introduces (inert until granted). */
export interface FleetPurpose {
  id: string;
  version: number;
  zh: string;
  en: string;
}

export const purposeFeature = (id: string): string => `purpose:${id}`;
export const purposeNotice = (p: FleetPurpose): Notice => ({ key: `purpose.${p.id}.v${p.version}`, feature: purposeFeature(p.id), zh: p.zh, en: p.en });

/** What the registry needs to know besides its history. */
export interface ConsentContext {
  /** The operator's defaults (config) for the features that have one. */
  operatorDefault: { uploads: boolean; training: boolean };
  /** The purposes the policy in force names. */
  purposes: readonly FleetPurpose[];
  /** A child device: optional features need a guardian's consent. */
  child?: boolean;
}

/** The notice currently in force for a feature, or null if there is no such feature. */
export function noticeFor(feature: string, ctx: ConsentContext): Notice | null {
  if ((OPTIONAL_FEATURES as readonly string[]).includes(feature)) return NOTICES[feature as OptionalFeature];
  const p = ctx.purposes.find((x) => purposeFeature(x.id) === feature);
  return p ? purposeNotice(p) : null;
}

/** Every feature the household can choose about now (a per-person feature once, without the person). */
export function featuresOf(ctx: ConsentContext): string[] {
  return [...OPTIONAL_FEATURES, ...ctx.purposes.map((p) => purposeFeature(p.id))];
}

/** The choice in force: the newest record for the feature (and person), else the default. */
export function current(
  history: readonly ConsentRecord[],
  feature: string,
  person: string | null,
  ctx: ConsentContext,
): { granted: boolean; record: ConsentRecord | null } {
  let record: ConsentRecord | null = null;
  for (const r of history) if (r.feature === feature && r.person === person && (!record || r.seq > record.seq)) record = r;
  if (record) return { granted: record.granted, record };
  // A child device never falls back to the operator's "on": a guardian has to grant it.
  if (!ctx.child && (feature === "uploads" || feature === "training")) return { granted: ctx.operatorDefault[feature], record: null };
  return { granted: false, record: null };
}

export type ConsentRefusal =
  | { code: "UNKNOWN_FEATURE"; message: string }
  | { code: "BASIC_FEATURE"; message: string }
  | { code: "NOTICE_OUTDATED"; message: string }
  | { code: "PERSON_REQUIRED"; message: string }
  | { code: "GUARDIAN_REQUIRED"; message: string }
  | { code: "CHILD_PROFILE"; message: string };

export interface ConsentChange {
  feature: string;
  grant: boolean;
  person?: string | null;
  /** The notice key the household was given (needed to grant). */
  notice?: string | null;
  by: "household" | "guardian";
}

/** Whether a change may be recorded: null if so, else why not (the bridge's nack code and message). */
export function refuse(c: ConsentChange, ctx: ConsentContext): ConsentRefusal | null {
  if (c.feature === BASIC_FEATURE)
    return {
      code: "BASIC_FEATURE",
      message: "voice service is the speaker's basic function and needs no optional consent; to stop it listening, mute it",
    };
  const notice = noticeFor(c.feature, ctx);
  if (!notice) return { code: "UNKNOWN_FEATURE", message: `no such feature: ${c.feature} (one of ${featuresOf(ctx).join(", ")})` };
  if (c.feature === "voiceprint" && !c.person) return { code: "PERSON_REQUIRED", message: "a voiceprint consent is one person's: name the person" };
  if (c.feature !== "voiceprint" && c.person) return { code: "UNKNOWN_FEATURE", message: `${c.feature} is the household's, not one person's` };
  if (c.grant && ctx.child && c.feature === "training")
    return { code: "CHILD_PROFILE", message: "a child's speaker never lets uploads be used for training, whoever consents" };
  if (c.grant && ctx.child && c.by !== "guardian")
    return { code: "GUARDIAN_REQUIRED", message: "this is a child's speaker: only a guardian can turn on an optional feature" };
  if (c.grant && c.notice !== notice.key)
    return {
      code: "NOTICE_OUTDATED",
      message: `grant against the current notice ${notice.key}${c.notice ? ` (given: ${c.notice})` : ""}: give the household that notice first`,
    };
  return null;
}

/** What stops or goes when a consent is withdrawn (carried out by the agent within the same cycle). */
export type WithdrawalEffect =
  | { kind: "cancel-queued-uploads" }
  | { kind: "untrain-queued-uploads" }
  | { kind: "delete-voiceprints"; person: string }
  | { kind: "delete-diagnostics" }
  | { kind: "none" };

export function withdrawalEffect(feature: string, person: string | null): WithdrawalEffect {
  if (feature === "uploads") return { kind: "cancel-queued-uploads" };
  if (feature === "training") return { kind: "untrain-queued-uploads" };
  if (feature === "voiceprint" && person) return { kind: "delete-voiceprints", person };
  if (feature === "diagnostics") return { kind: "delete-diagnostics" };
  return { kind: "none" };
}
