import type { Handler } from "./context.ts";

/** Near-field (push-to-talk only) or far-field (wake word) capture. */
export const mode: Handler<"mode"> = (msg, ctx) => ({ input: { kind: "mode", at: ctx.at, mode: msg.mode } });
