import type { Handler } from "./context.ts";

/**
 * A guardian sets the hours a speaker may listen in (REQUIREMENTS CHD, minor guardian mode).
 * The message's windows are checked against the same rules the agent stores them by.
 */
export const guardianHours: Handler<"guardian-hours"> = (msg, ctx) => {
  if (ctx.profile === "hotel") return { reply: { ok: false, code: "HOTEL_MODE", message: "this speaker is in a hotel room: its hours are the hotel's" } };
  const windows = msg.windows.map((w) => ({ days: w.days ?? [0, 1, 2, 3, 4, 5, 6], from: w.from, to: w.to }));
  if (windows.some((w) => w.from === w.to)) return { reply: { ok: false, code: "BAD_MESSAGE", message: "a window's from and to must differ" } };
  const r = ctx.setGuardianHours(windows);
  return { reply: { ok: true, data: { windows: windows.length, open: r.open } } };
};
