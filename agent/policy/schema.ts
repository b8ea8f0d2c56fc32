/**
 * Fleet policy: what an operator may set, and the signed envelope it travels in. Strict: an
 * unknown field is an error (later fields go under `extensions`, which this agent ignores).
 * Fields an operator leaves out take the strictest sensible value.
 */
import { z } from "zod";
import { KEYWORDS } from "../ports/wake-engine.ts";

export const PolicySchema = z
  .object({
    retentionDays: z.number().int().min(1).max(180).default(30).describe("keep voice material at most this many days"),
    uploads: z.boolean().default(true).describe("de-identified uploads allowed (they still need the household's uploads on)"),
    voiceModification: z.boolean().default(true).describe("McAdams voice modification (may not be switched off while uploading)"),
    alpha: z
      .object({ min: z.number().min(0.5).max(0.95), max: z.number().min(0.5).max(0.95) })
      .strict()
      .refine((a) => a.min <= a.max, { message: "alpha.min must not exceed alpha.max" })
      .optional()
      .describe("McAdams α range, intersected with the household's (absent: the household's)"),
    trainingUse: z.enum(["allowed", "forbidden"]).default("forbidden"),
    farField: z.boolean().default(true).describe("wake-word listening allowed (false: push-to-talk only)"),
    wakeWords: z
      .array(z.enum(KEYWORDS))
      .max(2)
      .refine((w) => new Set(w).size === w.length, { message: "wake words must not repeat" })
      .optional()
      .describe("wake words allowed (absent: the household's); may not name one the household does not use"),
    maxSessionSeconds: z.number().int().min(2).max(120).default(30),
    endOfSpeechMs: z.number().int().min(200).max(5000).default(800),
    uploadEndpoints: z.array(z.string().min(1).max(253)).max(32).optional().describe("hosts uploads may go to (absent: the device's own allowlist)"),
    forceMute: z.literal(true).optional().describe("mute every device (on only; a later policy without it lifts the fleet's mute)"),
    hotel: z
      .literal(true)
      .optional()
      .describe(
        "hotel rooms: a session may leave only as a recognised catalogue command, nothing is kept (on only; a later policy without it returns each device to its own profile)",
      ),
    purposes: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z0-9-]{1,40}$/, "lower-case letters, digits and -"),
            version: z.number().int().min(1),
            zh: z.string().min(1).max(400),
            en: z.string().min(1).max(400),
          })
          .strict(),
      )
      .max(8)
      .refine((ps) => new Set(ps.map((p) => p.id)).size === ps.length, { message: "purpose ids must be unique" })
      .optional()
      .describe(
        "new collection purposes, each with the notice (Chinese and English) the household is given: each stays inert on a device until its household grants it (consent purpose:<id>); uploads name only the granted ones",
      ),
    extensions: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type Policy = z.infer<typeof PolicySchema>;

export const EnvelopeSchema = z
  .object({
    policy: z.record(z.string(), z.unknown()),
    version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    issuedAt: z.string().datetime({ offset: true }),
    keyId: z.string().regex(/^[0-9a-f]{16}$/),
    sig: z
      .string()
      .regex(/^[A-Za-z0-9+/]+={0,2}$/)
      .max(200),
  })
  .strict();
export type Envelope = z.infer<typeof EnvelopeSchema>;

/** Why a policy was not applied (stable codes, reported on the state topic and in the audit log). */
export type RejectCode =
  | "MALFORMED"
  | "SCHEMA_INVALID"
  | "UNKNOWN_KEY"
  | "BAD_SIGNATURE"
  | "NOT_NEWER"
  | "FROM_THE_FUTURE"
  | "RETENTION_ABOVE_CAP"
  | "UNMUTE_ATTEMPT"
  | "WAKE_WORD_ADDED"
  | "VOICE_MOD_OFF_WHILE_UPLOADING"
  | "TRAINING_AGAINST_HOUSEHOLD"
  | "ALPHA_OUTSIDE_HOUSEHOLD"
  | "CHILD_PROFILE";
