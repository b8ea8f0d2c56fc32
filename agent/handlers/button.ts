import type { Handler } from "./context.ts";

/** The mute button acts when pressed (its release means nothing); the talk button reports down and up. */
export const button: Handler<"button"> = (msg, ctx) => {
  if (msg.button === "mute") return msg.action !== "up" ? { input: { kind: "mute-button", at: ctx.at } } : null;
  if (msg.action === "press") return { reply: { ok: false, code: "BAD_MESSAGE", message: "the talk button reports down and up, not press" } };
  return { input: { kind: "talk", at: ctx.at, action: msg.action } };
};
