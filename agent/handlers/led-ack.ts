import type { Handler } from "./context.ts";

/** The LED ring shows a pattern; stale acks (another LED command since) are accepted but do not count. */
export const ledAck: Handler<"led-ack"> = (msg, ctx) => ({ reply: { ok: true, data: { counted: ctx.ledAck(msg.pattern, msg.seq) !== null } } });
