/**
 * The household's consents over the bridge (agent/consent): grant against a notice, withdraw,
 * list. A guest in a hotel room cannot grant anything (the hotel's choices are the room's);
 * withdrawing is always possible. Turning training use off is answered with the notice the
 * firmware should speak: answers may be less accurate (seed 002:809).
 */
import type { ConsentLine } from "../../firmware-bridge/protocol/messages.ts";
import type { ChangeResult } from "../consent/registry.ts";
import type { Handler, HandlerContext, HandlerResult } from "./context.ts";

function answer(r: ChangeResult, ctx: HandlerContext, grant: boolean): HandlerResult {
  if (!r.ok) return { reply: { ok: false, code: r.code, message: r.message } };
  const line = ctx.consents.list().find((l) => l.feature === r.record.feature && (l.person ?? null) === r.record.person) as ConsentLine;
  if (grant) return { reply: { ok: true, data: { consent: line } } };
  const notice = ctx.consents.withdrawalNotice(r.record.feature) ?? undefined;
  if (notice) ctx.notify(notice);
  return { reply: { ok: true, data: { consent: line, stopped: r.effect.kind, affected: r.affected, ...(notice ? { notice } : {}) } } };
}

const hotelRefusal = { reply: { ok: false, code: "HOTEL_MODE", message: "this speaker is in a hotel room: its choices are the hotel's" } } as const;

export const consentGrant: Handler<"consent-grant"> = (msg, ctx) => {
  if (ctx.profile === "hotel") return hotelRefusal;
  return answer(
    ctx.consents.change({ feature: msg.feature, grant: true, person: msg.person ?? null, notice: msg.notice, by: msg.by, source: "bridge" }),
    ctx,
    true,
  );
};

export const consentWithdraw: Handler<"consent-withdraw"> = (msg, ctx) =>
  answer(ctx.consents.change({ feature: msg.feature, grant: false, person: msg.person ?? null, by: msg.by, source: "bridge" }), ctx, false);

export const consents: Handler<"consents"> = (msg, ctx) => ({
  reply: {
    ok: true,
    data: {
      basic: { feature: "voice-service", granted: true, withdrawable: false },
      consents: ctx.consents.list(),
      notices: ctx.consents.notices(),
      ...(msg.history ? { history: ctx.consents.history() } : {}),
    },
  },
});

/** The older message for one consent: training use on (with the notice given) or off. */
export const trainingUse: Handler<"training-use"> = (msg, ctx) => {
  if (msg.allowed && ctx.profile === "hotel") return hotelRefusal;
  const r = ctx.consents.change({ feature: "training", grant: msg.allowed, notice: msg.notice ?? null, by: "household", source: "bridge" });
  if (!r.ok) return { reply: { ok: false, code: r.code, message: r.message } };
  const notice = msg.allowed ? undefined : (ctx.consents.withdrawalNotice("training") ?? undefined);
  if (notice) ctx.notify(notice);
  return { reply: { ok: true, data: { trainingUse: msg.allowed, ...(notice ? { notice } : {}) } } };
};
