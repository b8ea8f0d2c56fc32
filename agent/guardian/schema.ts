/** How a guardian's hours are stored and checked (agent/guardian/hours.ts has the rule). */
import { z } from "zod";

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM, 00:00 to 23:59");

export const GuardianWindowSchema = z
  .object({
    days: z.array(z.number().int().min(0).max(6)).min(1).max(7),
    from: HHMM,
    to: HHMM,
  })
  .strict()
  .refine((w) => w.from !== w.to, { message: "from and to must differ" });
export const GuardianHoursSchema = z.array(GuardianWindowSchema).max(14);
