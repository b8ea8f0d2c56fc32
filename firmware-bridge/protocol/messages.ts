/**
 * The firmware bridge message catalogue: newline-delimited JSON over a Unix socket, one message
 * per line, at most MAX_LINE_BYTES. Every message carries `v` (protocol version) and `type`;
 * firmware requests carry `id`, and the agent answers each with `ack` or `nack` of that id.
 */
import { z } from "zod";
import { PROTOCOL_VERSION } from "./lines.ts";

export { MAX_LINE_BYTES, PROTOCOL_VERSION } from "./lines.ts";

const Id = z.union([z.string().min(1).max(64), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]);
/** A request type: its fields and what it does (the description is the protocol doc's "effect"). */
const req = <K extends string, T extends z.ZodRawShape>(type: K, shape: T, effect: string) =>
  z
    .object({ v: z.literal(PROTOCOL_VERSION), type: z.literal(type), id: Id, ...shape })
    .strict()
    .describe(effect);

export const LedPatternSchema = z.enum(["idle", "listening", "muted", "error"]);

/** A versioned notice key (e.g. consent.training.v1): the text the household was given before choosing. */
const NoticeKey = z.string().regex(/^[a-z0-9.:-]{3,80}$/, "a notice key such as consent.training.v1");
const Feature = z.string().regex(/^[a-z0-9:-]{2,80}$/, "a feature such as uploads, training, voiceprint, diagnostics or purpose:<id>");
/** A fault id from the firmware or support (what a bundle is for). */
const Fault = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "1-64 letters, digits, . _ or -");
/** A household member's label for per-person consents (a voiceprint's owner), chosen by the household. */
const Person = z.string().min(1).max(40);

/** Firmware → agent. */
export const Request = z.discriminatedUnion("type", [
  req(
    "hello",
    {
      model: z.string().min(1).max(64),
      firmware: z.string().max(64).optional(),
      capabilities: z
        .array(z.enum(["led", "talk-button", "mute-button", "mute-switch", "speaker"]))
        .max(16)
        .default([]),
      /** Position of the hardware mute switch at connect time, if the device has one. */
      muteSwitch: z.enum(["on", "off"]).optional(),
    },
    "introduces the firmware; reports the mute switch position",
  ),
  req(
    "button",
    { button: z.enum(["mute", "talk"]), action: z.enum(["press", "down", "up"]) },
    "mute press/down toggles mute (its release means nothing); talk down/up captures in between (a talk press is refused)",
  ),
  req(
    "mute-switch",
    { state: z.enum(["on", "off"]) },
    "hardware mute switch; while on, nothing can unmute. The first connection to report the switch (here or in `hello`) owns it while it stays connected: any other client's switch report gets `SWITCH_OWNED`. A firmware that restarts reconnects and reports the position again",
  ),
  /** `seq` echoes the led command being acknowledged. */
  req(
    "led-ack",
    { pattern: LedPatternSchema, seq: z.number().int().min(0) },
    "the LED now shows the `led` command with this `seq` (required for a session to be kept; an ack of an older LED command is accepted but does not count)",
  ),
  // At least one second: a positive number as small as 1e-300 would be a mute of 0 ms.
  req(
    "mute-for",
    {
      minutes: z
        .number()
        .min(1 / 60, "minutes must be at least 1/60 (one second)")
        .max(10080),
    },
    "timed mute, 1/60 (one second) to 10080 minutes (7 days)",
  ),
  req("mute", {}, "explicit mute"),
  req("unmute", {}, "local unmute (refused while the switch or fleet policy mutes)"),
  req("mode", { mode: z.enum(["far", "near"]) }, "capture mode (persisted)"),
  req("delete", { scope: z.enum(["last", "today", "all"]) }, "delete kept captures with their audio, keys and queued uploads; the ack says how many"),
  /** The household's "may my voice be used for training" choice (persisted; beats config). */
  req(
    "training-use",
    { allowed: z.boolean(), notice: NoticeKey.optional() },
    "the household's choice whether uploads may be used for training (the consent registry's `training`; turning it on needs the `notice` the household was given; turning it off is answered with the accuracy notice to speak)",
  ),
  req(
    "consent-grant",
    { feature: Feature, person: Person.optional(), notice: NoticeKey, by: z.enum(["household", "guardian"]).default("household") },
    "records consent to an optional feature (`uploads`, `training`, `voiceprint` with `person`, `diagnostics`, a fleet `purpose:<id>`) against the notice key the household was given (`NOTICE_OUTDATED` if it is not the current one); refused in hotel mode",
  ),
  req(
    "consent-withdraw",
    { feature: Feature, person: Person.optional(), by: z.enum(["household", "guardian"]).default("household") },
    "withdraws a consent: what it allowed stops at once (queued uploads dropped, queued uploads untagged for training, the person's voiceprints deleted); basic voice service cannot be withdrawn (`BASIC_FEATURE`)",
  ),
  req(
    "guardian-hours",
    {
      windows: z
        .array(
          z
            .object({
              days: z.array(z.number().int().min(0).max(6)).min(1).max(7).optional(),
              from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
              to: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
            })
            .strict(),
        )
        .max(14),
    },
    'a guardian\'s hours (device-local `from`-`to`, `days` 0 = Sunday … 6 = Saturday; empty: no restriction): outside them the speaker is closed like a mute (`mutedBy: "guardian"`, unmute refused with `GUARDIAN_HOURS`); refused in hotel mode',
  ),
  req(
    "diagnostics-prepare",
    { fault: Fault },
    "builds a redacted diagnostics bundle for a fault (never audio or what was said) and lists its categories; nothing leaves until `diagnostics-confirm`; refused in hotel mode",
  ),
  req(
    "diagnostics-confirm",
    { bundle: z.number().int().min(1), fault: Fault },
    "the household's one-time confirmation to send a prepared bundle, naming its fault (needs the `diagnostics` consent: `CONSENT_REQUIRED`); once sent, the local copy is deleted",
  ),
  req(
    "diagnostics-report",
    { bundle: z.number().int().min(1), event: z.enum(["debug-complete", "deleted"]) },
    "upstream reports on a sent bundle: debugging complete (from then it must be deleted within 24 h, or the speaker raises an alert), then deleted",
  ),
  req("diagnostics", {}, "the diagnostics bundles: fault, state, categories, times, and whether an upstream deletion is overdue"),
  req(
    "voiceprints",
    {},
    "lists the voiceprints (person, keyword, takes, when enrolled; never the templates) and makes the wake engine use exactly those whose consent is in force (after `spa wake enroll`)",
  ),
  req("voiceprint-rename", { from: Person, to: Person }, "corrects a person's label: their voiceprints and their voiceprint consent follow"),
  req(
    "voiceprint-delete",
    { person: Person },
    "deletes a person's voiceprints irreversibly (their consent stays as it is; withdrawing it with `consent-withdraw` deletes them too)",
  ),
  req(
    "consents",
    { history: z.boolean().default(false) },
    "every permission in force, the notice (key, Chinese and English text) for each, and with `history` every change including withdrawals",
  ),
  /**
   * Someone is binding a personal account (a shopping or payment account) to the speaker: the
   * firmware asks before it completes the binding. Refused in hotel mode (HOTEL_MODE): no guest
   * logs a personal account into a hotel room's speaker. Carries no account data.
   */
  req("account-bind", {}, "the firmware asks before binding a personal account to the speaker; refused in hotel mode (`HOTEL_MODE`), audited otherwise"),
  /** Make every queued upload due now (spa uploads retry). */
  req("uploads-retry", {}, "make every queued upload due now (`spa uploads retry`)"),
  req(
    "page-pair",
    {},
    "a new one-time code to pair a phone with the household page (`spa page pair`); the speaker also announces it (`pairing-code` event); asked for on the speaker itself, it lifts a lock from wrong tries; refused when the page is off (`PAGE_OFF`) or after 5 codes in a minute (`RATE_LIMITED`)",
  ),
  req(
    "page-sessions",
    { revoke: z.union([z.number().int().min(1), z.literal("all")]).optional() },
    "the household page's paired sessions (id, browser, since, last used); with `revoke` (an id or `all`) that session ends at once",
  ),
  req("get-state", {}, "the ack carries state, profile (household, hotel or child), counters, storage health and every permission (consents)"),
]);
export type Request = z.infer<typeof Request>;
export type RequestId = z.infer<typeof Id>;

/** The gate as the agent reports it (state broadcasts and get-state): never audio, never ids. */
export interface StateReport {
  state: "standby" | "armed" | "capturing" | "muted" | "failed";
  mode: "far" | "near";
  muted: boolean;
  mutedBy: "button" | "switch" | "timer" | "fleet" | "guardian" | null;
  /** When a timed mute ends (ms since the epoch). */
  muteUntil: number | null;
  hwSwitch: boolean;
  micOpen: boolean;
  led: z.infer<typeof LedPatternSchema>;
  trigger: "wake" | "talk" | null;
  failReason: "mic-error" | "led-ack-timeout" | null;
  wakeAvailable: boolean;
  farFieldAllowed: boolean;
}

/** A notice the firmware speaks or shows: its key, and its text in Chinese and English. */
export interface NoticeText {
  key: string;
  zh: string;
  en: string;
}
/** One permission in force (get-state, consents). */
export interface ConsentLine {
  feature: string;
  person?: string;
  granted: boolean;
  by: "household" | "guardian" | "operator" | "wipe" | "default";
  since: number | null;
  notice: string | null;
  currentNotice: string;
}
export interface ConsentHistoryLine {
  seq: number;
  feature: string;
  person: string | null;
  granted: boolean;
  notice: string | null;
  by: string;
  source: string;
  at: number;
}

/** One stored voiceprint set as listed (never its templates). */
export interface VoiceprintLine {
  person: string;
  keyword: string;
  templates: number;
  createdAt: number;
  /** Whether the person's voiceprint consent is in force (only then does the wake engine use it). */
  consented: boolean;
}

/** What each request's ack carries (get-state's also comes with every gate request's ack). */
export interface AckData {
  "get-state": {
    state: StateReport;
    /** household, hotel (a guest room: only catalogue commands may leave) or child (a child's speaker); see the README. */
    profile: "household" | "hotel" | "child";
    counters: Record<string, number>;
    micPid: number | null;
    storage: { ok: boolean; failing: Partial<Record<string, string>>; pendingAudit: number };
    /** Every permission (the consent registry), so the firmware can show each (seed 002: 逐项查看). */
    consents: ConsentLine[];
  };
  "led-ack": { counted: boolean };
  delete: { deleted: number };
  "training-use": { trainingUse: boolean; notice?: NoticeText };
  "consent-grant": { consent: ConsentLine };
  "consent-withdraw": { consent: ConsentLine; stopped: string; affected: number; notice?: NoticeText };
  voiceprints: { voiceprints: VoiceprintLine[] };
  "diagnostics-prepare": { bundle: number; fault: string; categories: string[]; bytes: number };
  "diagnostics-confirm": { bundle: number; sending: true };
  "diagnostics-report": { bundle: number; state: string };
  diagnostics: {
    diagnostics: Array<{
      bundle: number;
      fault: string;
      state: string;
      categories: string[];
      preparedAt: number;
      sentAt: number | null;
      debugCompleteAt: number | null;
      deletedAt: number | null;
      overdue: boolean;
    }>;
  };
  "guardian-hours": { windows: number; open: boolean };
  "voiceprint-rename": { renamed: number };
  "voiceprint-delete": { deleted: number };
  consents: {
    basic: { feature: "voice-service"; granted: true; withdrawable: false };
    consents: ConsentLine[];
    notices: NoticeText[];
    history?: ConsentHistoryLine[];
  };
  "uploads-retry": { queued: number; uploads: "on" | "off" };
  "page-pair": { code: string; validSeconds: number; urls: string[]; fingerprint: string | null };
  "page-sessions": { sessions: Array<{ id: number; label: string; createdAt: number; lastSeenAt: number }>; revoked?: number };
}
export type AnyAckData = AckData[keyof AckData];

/** The gate's report in an ack (get-state's, and every gate request's), or null for another ack. */
export function stateData(data: AnyAckData | undefined): AckData["get-state"] | null {
  return data !== undefined && "state" in data && "counters" in data ? data : null;
}

/** Agent → firmware. */
export type AgentMessage =
  | { v: 1; type: "ack"; id: RequestId; data?: AnyAckData }
  | { v: 1; type: "nack"; id: RequestId | null; code: NackCode; message: string }
  | { v: 1; type: "state"; state: StateReport }
  | { v: 1; type: "led"; pattern: z.infer<typeof LedPatternSchema>; seq: number }
  | { v: 1; type: "mic-power"; state: "on" | "off" }
  | { v: 1; type: "sound"; name: string }
  | { v: 1; type: "voice-unavailable"; reason: string }
  | { v: 1; type: "hotel-command"; commandId: string; text: string }
  /** A code for the household page: the firmware speaks it or shows it (never logged). */
  | { v: 1; type: "pairing-code"; code: string; validSeconds: number }
  | ({ v: 1; type: "notice" } & NoticeText);

export type NackCode =
  | "LINE_TOO_LONG"
  | "BAD_JSON"
  | "BAD_VERSION"
  | "BAD_MESSAGE"
  | "UNKNOWN_TYPE"
  | "REFUSED"
  | "MUTE_SWITCH_ON"
  | "SWITCH_OWNED"
  | "FLEET_MUTE"
  | "MUTED"
  | "NOT_MUTED"
  | "FAILED"
  | "HOTEL_MODE"
  | "UNKNOWN_FEATURE"
  | "BASIC_FEATURE"
  | "NOTICE_OUTDATED"
  | "PERSON_REQUIRED"
  | "GUARDIAN_REQUIRED"
  | "CHILD_PROFILE"
  | "GUARDIAN_HOURS"
  | "CONSENT_REQUIRED"
  | "PAGE_OFF"
  | "RATE_LIMITED"
  | "INTERNAL";
