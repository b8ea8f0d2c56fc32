/** The firmware message handlers alone, with a recording context (no agent, no socket). */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { HANDLERS, handle, type HandlerContext } from "../../agent/handlers/index.ts";
import { Request } from "../../firmware-bridge/protocol/messages.ts";
import { Timestamp } from "../../agent/units.ts";

const H = suite("firmware message handlers");
const at = Timestamp(1_000_000);

function context(over: Partial<HandlerContext> = {}): { ctx: HandlerContext; calls: string[] } {
  const calls: string[] = [];
  const ctx: HandlerContext = {
    at,
    ledAck: () => (calls.push("ledAck"), null),
    deleteKept: (scope, extra) => (calls.push(`deleteKept ${scope} ${extra}`), { count: 2, deletionRequests: 0, exportFiles: [] }),
    cancelInFlight: () => (calls.push("cancelInFlight"), 0),
    audit: (type) => void calls.push(`audit ${type}`),
    setTrainingUse: (a) => void calls.push(`training ${a}`),
    retryUploads: () => (calls.push("retry"), 3),
    profile: "household",
    uploadsOn: true,
    kickUploads: () => void calls.push("kick"),
    ...over,
  };
  return { ctx, calls };
}

H("every request type of the protocol has a handler", () => {
  const types = Request.options.map((o) => o.shape.type.value as string).sort();
  assert.equal(Object.keys(HANDLERS).sort(), types);
});

H("buttons: mute acts on press and down, not on up; talk reports down and up, a press is refused", () => {
  const { ctx } = context();
  const msg = (button: "mute" | "talk", action: "down" | "up" | "press") => ({ v: 1 as const, type: "button" as const, id: 1, button, action });
  assert.equal(handle(msg("mute", "press"), ctx), { input: { kind: "mute-button", at } });
  assert.equal(handle(msg("mute", "down"), ctx), { input: { kind: "mute-button", at } });
  assert.is(handle(msg("mute", "up"), ctx), null);
  assert.equal(handle(msg("talk", "down"), ctx), { input: { kind: "talk", at, action: "down" } });
  const refused = handle(msg("talk", "press"), ctx);
  assert.ok(refused && "reply" in refused && !refused.reply.ok && refused.reply.code === "BAD_MESSAGE");
});

H("delete: captures in flight are the newest; 'last' with one in flight deletes only it, and says so", () => {
  const one = context({ cancelInFlight: () => 1 });
  assert.equal(handle({ v: 1, type: "delete", id: 1, scope: "last" }, one.ctx), { reply: { ok: true, data: { deleted: 1 } } });
  assert.equal(one.calls, ["audit deletion", "kick"]);
  const none = context();
  assert.equal(handle({ v: 1, type: "delete", id: 1, scope: "all" }, none.ctx), { reply: { ok: true, data: { deleted: 2 } } });
  assert.equal(none.calls, ["cancelInFlight", "deleteKept all 0", "kick"]);
});

H("mute-for in minutes becomes a gate duration in ms; a stale LED ack does not count", () => {
  const { ctx } = context();
  assert.equal(handle({ v: 1, type: "mute-for", id: 1, minutes: 1.5 }, ctx), { input: { kind: "mute-for", at, duration: 90_000 } });
  assert.equal(handle({ v: 1, type: "led-ack", id: 1, pattern: "idle", seq: 7 }, ctx), { reply: { ok: true, data: { counted: false } } });
  assert.equal(handle({ v: 1, type: "uploads-retry", id: 1 }, ctx), { reply: { ok: true, data: { queued: 3, uploads: "on" } } });
});

H("account binding: refused in a hotel room (HOTEL_MODE, nothing audited), audited without account data at home", () => {
  const msg = { v: 1 as const, type: "account-bind" as const, id: 7 };
  const hotel = context({ profile: "hotel" });
  const refused = handle(msg, hotel.ctx);
  assert.ok(refused && "reply" in refused && !refused.reply.ok && refused.reply.code === "HOTEL_MODE", JSON.stringify(refused));
  assert.equal(hotel.calls, []);
  const home = context();
  assert.equal(handle(msg, home.ctx), { reply: { ok: true } });
  assert.equal(home.calls, ["audit account-bind"]);
});

H.run();
