/**
 * The household page over the bridge (issue 19.2): a pairing code for `spa page pair` (the
 * speaker announces it too), and the paired sessions with their revocation. The bridge socket is
 * the device's own (firmware and a root shell); a phone reaches none of this.
 */
import type { Handler } from "./context.ts";

const OFF = { ok: false as const, code: "PAGE_OFF" as const, message: "the household page is off (set page.enabled to true and restart the agent)" };

export const pagePair: Handler<"page-pair"> = (_msg, ctx) => {
  if (!ctx.page) return { reply: OFF };
  const r = ctx.page.issueCode();
  if (!r.ok) return { reply: { ok: false, code: "RATE_LIMITED", message: `five codes were made this minute; try again in ${r.retryAfterSeconds} s` } };
  return { reply: { ok: true, data: { code: r.code, validSeconds: r.validSeconds, urls: ctx.page.urls, fingerprint: ctx.page.fingerprint } } };
};

export const pageSessions: Handler<"page-sessions"> = (msg, ctx) => {
  if (!ctx.page) return { reply: OFF };
  let revoked: number | undefined;
  if (msg.revoke !== undefined) {
    revoked = ctx.page.revoke(msg.revoke);
    if (msg.revoke !== "all" && revoked === 0)
      return { reply: { ok: false, code: "REFUSED", message: `no live session ${msg.revoke}; see 'spa page sessions'` } };
    ctx.audit("page-sessions-revoked", { count: revoked });
  }
  return { reply: { ok: true, data: { sessions: ctx.page.sessions(), ...(revoked !== undefined ? { revoked } : {}) } } };
};
