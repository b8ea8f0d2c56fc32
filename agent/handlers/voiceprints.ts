/**
 * Voiceprints over the bridge (REQUIREMENTS CON-10: query, correct, delete): list, rename a
 * person, delete a person's sets. The templates themselves never cross the bridge.
 */
import type { Handler } from "./context.ts";

export const voiceprints: Handler<"voiceprints"> = (_msg, ctx) => {
  ctx.voiceprints.refresh();
  return { reply: { ok: true, data: { voiceprints: ctx.voiceprints.list() } } };
};

export const voiceprintRename: Handler<"voiceprint-rename"> = (msg, ctx) => {
  if (ctx.profile === "hotel") return { reply: { ok: false, code: "HOTEL_MODE", message: "this speaker is in a hotel room: it keeps no voiceprints" } };
  if (ctx.voiceprints.list().some((v) => v.person === msg.to))
    return { reply: { ok: false, code: "REFUSED", message: `${msg.to} already has voiceprints: delete them first or pick another name` } };
  const renamed = ctx.voiceprints.rename(msg.from, msg.to);
  if (renamed === 0) return { reply: { ok: false, code: "REFUSED", message: `no voiceprints for ${msg.from}` } };
  ctx.audit("voiceprint-renamed", { sets: renamed });
  return { reply: { ok: true, data: { renamed } } };
};

export const voiceprintDelete: Handler<"voiceprint-delete"> = (msg, ctx) => {
  const deleted = ctx.voiceprints.deletePerson(msg.person);
  ctx.audit("voiceprint-deleted", { sets: deleted });
  return { reply: { ok: true, data: { deleted } } };
};
