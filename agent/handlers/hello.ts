import type { Handler } from "./context.ts";

/** A firmware connection introduces itself; a mute switch it reports is applied at once. */
export const hello: Handler<"hello"> = (msg, ctx) => (msg.muteSwitch ? { input: { kind: "mute-switch", at: ctx.at, on: msg.muteSwitch === "on" } } : null);
