import { Millis } from "../units.ts";
import type { Handler } from "./context.ts";

/** mute, unmute, mute-for and the hardware switch: gate inputs, refused by the gate where they must be. */
export const mute: Handler<"mute"> = (_msg, ctx) => ({ input: { kind: "mute", at: ctx.at } });
export const unmute: Handler<"unmute"> = (_msg, ctx) => ({ input: { kind: "unmute", at: ctx.at } });
export const muteFor: Handler<"mute-for"> = (msg, ctx) => ({ input: { kind: "mute-for", at: ctx.at, duration: Millis(Math.round(msg.minutes * 60_000)) } });
export const muteSwitch: Handler<"mute-switch"> = (msg, ctx) => ({ input: { kind: "mute-switch", at: ctx.at, on: msg.state === "on" } });
