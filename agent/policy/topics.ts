/**
 * The fleet topics and what travels on each, in one place for the device (policy/service.ts) and
 * the operator tools (cli-policy.ts): `<prefix>/fleet/<fleet>/policy` and
 * `<prefix>/device/<id>/policy` carry signed envelopes (schema.ts), `<prefix>/device/<id>/state`
 * the device's report below (retained), `<prefix>/device/<id>/online` "online" or "offline"
 * (birth and Last Will). The state never holds personal data: versions, counters, codes.
 */
import { z } from "zod";

export { DEFAULT_TOPIC_PREFIX } from "../../config/defaults.ts";

export const topics = (prefix: string, fleet: string, id: string) => ({
  fleetPolicy: `${prefix}/fleet/${fleet}/policy`,
  devicePolicy: `${prefix}/device/${id}/policy`,
  state: `${prefix}/device/${id}/state`,
  online: `${prefix}/device/${id}/online`,
  /** A recognised hotel command from this room (`{commandId, text, minute}`), not retained. */
  hotelCommand: `${prefix}/device/${id}/hotel/command`,
  /** A hotel's signed check-out order for this room's speaker (checkout.ts), retained. */
  checkout: `${prefix}/device/${id}/checkout`,
});

/** Which device a state or online topic belongs to, or null for another topic. */
export function deviceTopic(prefix: string, topic: string): { device: string; kind: "state" | "online" } | null {
  if (!topic.startsWith(`${prefix}/device/`)) return null;
  const m = /^([^/]+)\/(state|online)$/.exec(topic.slice(prefix.length + "/device/".length));
  return m ? { device: m[1]!, kind: m[2] as "state" | "online" } : null;
}

export const OnlineSchema = z.enum(["online", "offline"]);

const Rejection = z.object({ code: z.string(), version: z.number().int().nullable() }).strict();

export const DeviceStateSchema = z
  .object({
    fleet: z.string(),
    appliedVersion: z.number().int().min(0),
    policyHash: z.string().nullable(),
    status: z.enum(["default", "applied"]),
    /** household, hotel (by the device's config or this fleet's policy), or child (a child's speaker, by its config). */
    profile: z.enum(["household", "hotel", "child"]).optional(),
    lastRejection: Rejection.nullable(),
    lastRejectionByTopic: z
      .object({ fleet: Rejection.extend({ at: z.string() }).nullable(), device: Rejection.extend({ at: z.string() }).nullable() })
      .strict(),
    compliance: z
      .object({
        capturesKept: z.number().int().min(0),
        oldestKeptDays: z.number().nullable(),
        purged: z.number().int().min(0),
        falseWakes: z.number().int().min(0),
      })
      .strict(),
    storage: z
      .object({ ok: z.boolean(), failing: z.record(z.string(), z.string()), pendingAudit: z.number().int().min(0) })
      .strict()
      .optional(),
    /** The last check-out order seen: its sequence and what came of it ("done" or why not). */
    lastCheckout: z.object({ seq: z.number().int().nullable(), result: z.string(), at: z.string() }).strict().nullable().optional(),
    /** Diagnostics bundles not deleted upstream 24 h after debugging was complete (REQUIREMENTS DIAG). */
    diagnosticsOverdue: z.number().int().min(0).optional(),
    auditHead: z
      .object({ seq: z.number().int().min(0), hash: z.string() })
      .strict()
      .optional(),
    at: z.string(),
  })
  .strict();
export type DeviceState = z.infer<typeof DeviceStateSchema>;
