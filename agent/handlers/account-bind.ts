import type { Handler } from "./context.ts";

/**
 * A personal account is about to be bound to the speaker. In a hotel room no guest's account may
 * be (seed 002, hotel scenes: the hotel operator's is the only account): refused. At home the
 * binding is the household's to make; it is audited, without any account data.
 */
export const accountBind: Handler<"account-bind"> = (_msg, ctx) => {
  if (ctx.profile === "hotel")
    return { reply: { ok: false, code: "HOTEL_MODE", message: "this speaker is in a hotel room: personal accounts cannot be bound to it" } };
  ctx.audit("account-bind", {});
  return { reply: { ok: true } };
};
