/**
 * A hotel's check-out: the operator's signed order to wipe everything a guest may have left on a
 * room's speaker. It travels like a policy (the same envelope, key list and Ed25519 signature over
 * canonical JSON), on its own retained topic `<prefix>/device/<id>/checkout`, with a body that
 * names its one device — so it cannot be replayed to another room, or read as a policy (the policy
 * schema refuses its fields) — and a sequence number in `version` that must rise: each check-out
 * applies once, however often the broker re-delivers it. Pure: keys and time come in.
 */
import { firstIssue } from "../json-file.ts";
import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { MAX_FUTURE_MS } from "./engine.ts";
import { EnvelopeSchema, type Envelope } from "./schema.ts";
import { verifyEnvelope } from "./trust.ts";

export const CheckoutBodySchema = z.object({ command: z.literal("checkout"), device: z.string().min(1) }).strict();

export type CheckoutCode = "MALFORMED" | "UNKNOWN_KEY" | "BAD_SIGNATURE" | "WRONG_DEVICE" | "NOT_NEWER" | "FROM_THE_FUTURE" | "NOT_HOTEL";

export type CheckoutDecision = { ok: true; seq: number; envelope: Envelope } | { ok: false; code: CheckoutCode; message: string; seq: number | null };

export interface CheckoutContext {
  trusted: ReadonlyMap<string, KeyObject>;
  deviceId: string;
  /** The highest check-out sequence already carried out here (kept through wipes). */
  floor: number;
  /** Check-outs apply only to a speaker in hotel mode: a hotel's key must not wipe a home. */
  hotel: boolean;
  now: number;
}

export function decideCheckout(raw: string, c: CheckoutContext): CheckoutDecision {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, code: "MALFORMED", message: "not JSON", seq: null };
  }
  const env = EnvelopeSchema.safeParse(value);
  if (!env.success) return { ok: false, code: "MALFORMED", message: `envelope: ${firstIssue(env.error)}`, seq: null };
  const e = env.data;
  const seq = e.version;
  const key = c.trusted.get(e.keyId);
  if (!key) return { ok: false, code: "UNKNOWN_KEY", message: `key ${e.keyId} is not trusted here`, seq };
  if (!verifyEnvelope(e, key)) return { ok: false, code: "BAD_SIGNATURE", message: "the signature does not match", seq };
  const body = CheckoutBodySchema.safeParse(e.policy);
  if (!body.success) return { ok: false, code: "MALFORMED", message: "not a check-out", seq };
  if (body.data.device !== c.deviceId) return { ok: false, code: "WRONG_DEVICE", message: "the check-out names another device", seq };
  if (seq <= c.floor) return { ok: false, code: "NOT_NEWER", message: `check-out ${seq} is not above the last one carried out (${c.floor})`, seq };
  if (Date.parse(e.issuedAt) > c.now + MAX_FUTURE_MS) return { ok: false, code: "FROM_THE_FUTURE", message: `issued at ${e.issuedAt}, after now`, seq };
  if (!c.hotel) return { ok: false, code: "NOT_HOTEL", message: "this speaker is not in hotel mode: a check-out does not apply", seq };
  return { ok: true, seq, envelope: e };
}
