import type { Handler } from "./context.ts";

/**
 * The household deletes kept captures. Captures still being modified are the newest, so every
 * scope covers them; "last" with one in flight deletes only that one (it is the last).
 */
export const deleteCaptures: Handler<"delete"> = (msg, ctx) => {
  const inFlight = ctx.cancelInFlight();
  const stored = msg.scope === "last" && inFlight > 0 ? 0 : ctx.deleteKept(msg.scope, inFlight).count;
  if (msg.scope === "last" && inFlight > 0) ctx.audit("deletion", { scope: "last", count: inFlight, via: "bridge", deletionRequests: 0 });
  ctx.kickUploads();
  return { reply: { ok: true, data: { deleted: inFlight + stored } } };
};
