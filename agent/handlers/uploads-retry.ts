import type { Handler } from "./context.ts";

/** Makes every queued upload due now (spa uploads retry). */
export const uploadsRetry: Handler<"uploads-retry"> = (_msg, ctx) => {
  const queued = ctx.retryUploads();
  ctx.kickUploads();
  return { reply: { ok: true, data: { queued, uploads: ctx.uploadsOn ? "on" : "off" } } };
};
