/**
 * The de-identified upload envelope: what the receiver learns about an upload besides its
 * voice-modified audio. Deliberately nothing that identifies the account, household, device
 * or speaker: a fresh random id per upload (so uploads cannot be linked to each other), the
 * capture time coarsened to the minute, duration, trigger, locale, the training-use flag, the
 * fleet purposes the household granted, the voice-modification method and the policy version. Strict schema: a field added by
 * mistake fails validation rather than leaving the device.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";

export const UploadEnvelopeSchema = z
  .object({
    v: z.literal(1),
    uploadId: z.uuid(),
    capturedAt: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/, "UTC, to the minute"),
    durationMs: z.number().int().min(0),
    trigger: z.enum(["wake", "talk"]),
    locale: z.string(),
    trainingAllowed: z.boolean(),
    /** Fleet purposes (policy `purposes`) the household granted; absent: none. */
    purposes: z
      .array(z.string().regex(/^[a-z0-9-]{1,40}$/))
      .max(8)
      .optional(),
    anonymization: z.object({ method: z.literal("mcadams-b2"), version: z.number().int() }).strict(),
    policyVersion: z.number().int().min(0),
  })
  .strict();
export type UploadEnvelope = z.infer<typeof UploadEnvelopeSchema>;

/** UTC, seconds and milliseconds dropped. */
export function toMinute(t: number): string {
  return new Date(Math.floor(t / 60_000) * 60_000).toISOString().replace(/:00\.000Z$/, ":00Z");
}

export function makeEnvelope(p: {
  capturedAt: number;
  durationMs: number;
  trigger: "wake" | "talk";
  locale: string;
  trainingAllowed: boolean;
  purposes?: readonly string[];
  anonymization: { method: "mcadams-b2"; version: number };
  policyVersion: number;
}): UploadEnvelope {
  // Duration rounded to 100 ms: exact sample counts add nothing the receiver needs.
  return UploadEnvelopeSchema.parse({
    v: 1,
    uploadId: randomUUID(),
    capturedAt: toMinute(p.capturedAt),
    durationMs: Math.round(p.durationMs / 100) * 100,
    trigger: p.trigger,
    locale: p.locale,
    trainingAllowed: p.trainingAllowed,
    ...(p.purposes?.length ? { purposes: [...p.purposes] } : {}),
    anonymization: p.anonymization,
    policyVersion: p.policyVersion,
  });
}
