/**
 * Diagnostics over the bridge (REQUIREMENTS DIAG-01..05): prepare a redacted bundle for a fault
 * and show its categories; send it only on the household's one-time confirmation naming that
 * fault; track upstream's reports (debugging complete, deleted). The bundle never crosses the
 * bridge: only its categories and size do.
 */
import type { Handler } from "./context.ts";

export const diagnosticsPrepare: Handler<"diagnostics-prepare"> = (msg, ctx) => {
  if (ctx.profile === "hotel")
    return { reply: { ok: false, code: "HOTEL_MODE", message: "this speaker is in a hotel room: diagnostics are the hotel's to arrange" } };
  const r = ctx.diagnostics.prepare(msg.fault);
  return { reply: { ok: true, data: { bundle: r.bundle, fault: msg.fault, categories: r.categories, bytes: r.bytes } } };
};

export const diagnosticsConfirm: Handler<"diagnostics-confirm"> = (msg, ctx) => {
  const no = ctx.diagnostics.confirm(msg.bundle, msg.fault);
  if (no) return { reply: { ok: false, code: no.code, message: no.message } };
  return { reply: { ok: true, data: { bundle: msg.bundle, sending: true } } };
};

export const diagnosticsReport: Handler<"diagnostics-report"> = (msg, ctx) => {
  const state = ctx.diagnostics.report(msg.bundle, msg.event);
  if (!state) return { reply: { ok: false, code: "REFUSED", message: `bundle ${msg.bundle} cannot be ${msg.event} now (unknown, or not sent yet)` } };
  return { reply: { ok: true, data: { bundle: msg.bundle, state } } };
};

export const diagnostics: Handler<"diagnostics"> = (_msg, ctx) => ({ reply: { ok: true, data: { diagnostics: ctx.diagnostics.list() } } });
