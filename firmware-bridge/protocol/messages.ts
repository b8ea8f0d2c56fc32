/**
 * The firmware bridge message catalogue: newline-delimited JSON over a Unix socket, one message
 * per line, at most MAX_LINE_BYTES. Every message carries `v` (protocol version) and `type`;
 * firmware requests carry `id`, and the agent answers each with `ack` or `nack` of that id.
 */
import { z } from "zod";
import { PROTOCOL_VERSION } from "./lines.ts";

export { MAX_LINE_BYTES, PROTOCOL_VERSION } from "./lines.ts";

const Id = z.union([z.string().min(1).max(64), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]);
const req = <K extends string, T extends z.ZodRawShape>(type: K, shape: T) =>
  z.object({ v: z.literal(PROTOCOL_VERSION), type: z.literal(type), id: Id, ...shape }).strict();

export const LedPatternSchema = z.enum(["idle", "listening", "muted", "error"]);

/** Firmware → agent. */
export const Request = z.discriminatedUnion("type", [
  req("hello", {
    model: z.string().min(1).max(64),
    firmware: z.string().max(64).optional(),
    capabilities: z
      .array(z.enum(["led", "talk-button", "mute-button", "mute-switch", "speaker"]))
      .max(16)
      .default([]),
    /** Position of the hardware mute switch at connect time, if the device has one. */
    muteSwitch: z.enum(["on", "off"]).optional(),
  }),
  req("button", { button: z.enum(["mute", "talk"]), action: z.enum(["press", "down", "up"]) }),
  req("mute-switch", { state: z.enum(["on", "off"]) }),
  /** `seq` echoes the led command being acknowledged. */
  req("led-ack", { pattern: LedPatternSchema, seq: z.number().int().min(0) }),
  // At least one second: a positive number as small as 1e-300 would be a mute of 0 ms.
  req("mute-for", {
    minutes: z
      .number()
      .min(1 / 60, "minutes must be at least 1/60 (one second)")
      .max(10080),
  }),
  req("mute", {}),
  req("unmute", {}),
  req("mode", { mode: z.enum(["far", "near"]) }),
  req("delete", { scope: z.enum(["last", "today", "all"]) }),
  /** The household's "may my voice be used for training" choice (persisted; beats config). */
  req("training-use", { allowed: z.boolean() }),
  /** Make every queued upload due now (spa uploads retry). */
  req("uploads-retry", {}),
  req("get-state", {}),
]);
export type Request = z.infer<typeof Request>;
export type RequestId = z.infer<typeof Id>;

/** Agent → firmware. */
export type AgentMessage =
  | { v: 1; type: "ack"; id: RequestId; data?: Record<string, unknown> }
  | { v: 1; type: "nack"; id: RequestId | null; code: NackCode; message: string }
  | { v: 1; type: "state"; state: Record<string, unknown> }
  | { v: 1; type: "led"; pattern: z.infer<typeof LedPatternSchema>; seq: number }
  | { v: 1; type: "mic-power"; state: "on" | "off" }
  | { v: 1; type: "sound"; name: string }
  | { v: 1; type: "voice-unavailable"; reason: string };

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
  | "INTERNAL";
