/** The firmware message handlers alone, with a recording context (no agent, no socket). */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { HANDLERS, handle, type HandlerContext } from "../../agent/handlers/index.ts";
import { Request } from "../../firmware-bridge/protocol/messages.ts";
import { Timestamp } from "../../agent/units.ts";
import { ConsentRegistry } from "../../agent/consent/registry.ts";
import { Consents } from "../../agent/ledger/consents.ts";
import { openAgentDb } from "../../agent/ledger/agent-db.ts";
import { NOTICES, TRAINING_OFF_NOTICE } from "../../agent/consent/features.ts";

const H = suite("firmware message handlers");
const at = Timestamp(1_000_000);

/** A real consent registry on an in-memory ledger; withdrawals' effects are recorded. */
function registry(calls: string[]): ConsentRegistry {
  return new ConsentRegistry({
    store: new Consents(openAgentDb(":memory:")),
    context: () => ({ operatorDefault: { uploads: true, training: true }, purposes: [] }),
    now: () => at,
    audit: (type) => void calls.push(`audit ${type}`),
    withdraw: (e) => (calls.push(`withdraw ${e.kind}`), 2),
  });
}

function context(over: Partial<HandlerContext> = {}): { ctx: HandlerContext; calls: string[] } {
  const calls: string[] = [];
  const ctx: HandlerContext = {
    at,
    ledAck: () => (calls.push("ledAck"), null),
    deleteKept: (scope, extra) => (calls.push(`deleteKept ${scope} ${extra}`), { count: 2, deletionRequests: 0, exportFiles: [] }),
    cancelInFlight: () => (calls.push("cancelInFlight"), 0),
    audit: (type) => void calls.push(`audit ${type}`),
    consents: registry(calls),
    notify: (n) => void calls.push(`notify ${n.key}`),
    diagnostics: {
      prepare: (f) => (calls.push(`prepare ${f}`), { bundle: 7, categories: ["versions"], bytes: 100 }),
      confirm: (id, f) => (calls.push(`confirm ${id} ${f}`), id === 7 ? null : { code: "REFUSED", message: "no such bundle" }),
      report: (id, e) => (id === 7 ? e : null),
      list: () => [],
    },
    setGuardianHours: (w) => (calls.push(`hours ${JSON.stringify(w)}`), { open: w.length === 0 }),
    voiceprints: {
      list: () => [{ person: "妈妈", keyword: "天猫精灵", templates: 3, createdAt: 1, consented: true }],
      rename: (from, to) => (calls.push(`rename ${from} ${to}`), from === "妈妈" ? 1 : 0),
      deletePerson: (p) => (calls.push(`delete ${p}`), 1),
      refresh: () => void calls.push("refresh"),
    },
    retryUploads: () => (calls.push("retry"), 3),
    profile: "household",
    uploadsOn: true,
    kickUploads: () => void calls.push("kick"),
    page: null,
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

H(
  "consents: a grant needs the current notice; withdrawing training is answered with the accuracy notice; basic service cannot be withdrawn; a hotel guest cannot grant",
  () => {
    const { ctx, calls } = context();
    const req = <T extends Request["type"]>(type: T, rest: object) => Request.parse({ v: 1, id: 1, type, ...rest });
    const reply = (r: ReturnType<typeof handle>) => (r && "reply" in r ? r.reply : null);
    assert.equal(reply(handle(req("consent-grant", { feature: "diagnostics", notice: "consent.diagnostics.v0" }), ctx))?.ok, false);
    assert.is(
      (reply(handle(req("consent-grant", { feature: "diagnostics", notice: "consent.diagnostics.v0" }), ctx)) as { code: string }).code,
      "NOTICE_OUTDATED",
    );
    const ok = reply(handle(req("consent-grant", { feature: "diagnostics", notice: NOTICES.diagnostics.key }), ctx));
    assert.equal(ok && ok.ok && ok.data && "consent" in ok.data ? ok.data.consent.granted : null, true);
    const off = reply(handle(req("training-use", { allowed: false }), ctx));
    assert.equal(off, { ok: true, data: { trainingUse: false, notice: TRAINING_OFF_NOTICE } });
    assert.ok(calls.includes("withdraw untrain-queued-uploads") && calls.includes(`notify ${TRAINING_OFF_NOTICE.key}`));
    assert.is((reply(handle(req("training-use", { allowed: true }), ctx)) as { code: string }).code, "NOTICE_OUTDATED", "on needs the notice");
    assert.is((reply(handle(req("consent-withdraw", { feature: "voice-service" }), ctx)) as { code: string }).code, "BASIC_FEATURE");
    assert.is(
      (reply(handle(req("consent-grant", { feature: "voiceprint", notice: NOTICES.voiceprint.key }), ctx)) as { code: string }).code,
      "PERSON_REQUIRED",
    );
    const hotel = context({ profile: "hotel" }).ctx;
    assert.is((reply(handle(req("consent-grant", { feature: "uploads", notice: NOTICES.uploads.key }), hotel)) as { code: string }).code, "HOTEL_MODE");
    assert.equal(reply(handle(req("consent-withdraw", { feature: "uploads" }), hotel))?.ok, true, "withdrawing always works");
    const list = reply(handle(req("consents", { history: true }), ctx));
    assert.ok(list?.ok && list.data && "history" in list.data && list.data.history!.length === 2, "diagnostics granted, training withdrawn");
  },
);

H("voiceprints: listing refreshes the wake engine; a rename onto an existing person or of nobody is refused; deletion is audited without the name", () => {
  const { ctx, calls } = context();
  const req = <T extends Request["type"]>(type: T, rest: object) => Request.parse({ v: 1, id: 1, type, ...rest });
  const reply = (r: ReturnType<typeof handle>) => (r && "reply" in r ? r.reply : null);
  assert.equal(reply(handle(req("voiceprints", {}), ctx))?.ok, true);
  assert.ok(calls.includes("refresh"));
  assert.is((reply(handle(req("voiceprint-rename", { from: "爸爸", to: "妈妈" }), ctx)) as { code: string }).code, "REFUSED", "onto an existing person");
  assert.is((reply(handle(req("voiceprint-rename", { from: "爸爸", to: "外婆" }), ctx)) as { code: string }).code, "REFUSED", "nobody to rename");
  assert.equal(reply(handle(req("voiceprint-rename", { from: "妈妈", to: "外婆" }), ctx)), { ok: true, data: { renamed: 1 } });
  assert.equal(reply(handle(req("voiceprint-delete", { person: "妈妈" }), ctx)), { ok: true, data: { deleted: 1 } });
  assert.ok(calls.includes("audit voiceprint-deleted") && !calls.some((c) => c.startsWith("audit") && c.includes("妈妈")));
});

H("guardian hours: stored with every day by default; from = to refused; a hotel room refuses", () => {
  const { ctx, calls } = context();
  const req = (rest: object) => Request.parse({ v: 1, id: 1, type: "guardian-hours", ...rest });
  const reply = (r: ReturnType<typeof handle>) => (r && "reply" in r ? r.reply : null);
  assert.equal(reply(handle(req({ windows: [{ from: "07:00", to: "20:00" }] }), ctx)), { ok: true, data: { windows: 1, open: false } });
  assert.ok(calls.includes(`hours [{"days":[0,1,2,3,4,5,6],"from":"07:00","to":"20:00"}]`));
  assert.is((reply(handle(req({ windows: [{ from: "07:00", to: "07:00" }] }), ctx)) as { code: string }).code, "BAD_MESSAGE");
  assert.throws(() => req({ windows: [{ from: "7:00", to: "20:00" }] }), /HH:MM/);
  const hotel = context({ profile: "hotel" }).ctx;
  assert.is((reply(handle(req({ windows: [] }), hotel)) as { code: string }).code, "HOTEL_MODE");
});

H("diagnostics: prepare lists the categories (never the bundle); confirm and reports answer with the agent's decision; a hotel room refuses", () => {
  const { ctx } = context();
  const req = <T extends Request["type"]>(type: T, rest: object) => Request.parse({ v: 1, id: 1, type, ...rest });
  const reply = (r: ReturnType<typeof handle>) => (r && "reply" in r ? r.reply : null);
  assert.equal(reply(handle(req("diagnostics-prepare", { fault: "E42" }), ctx)), {
    ok: true,
    data: { bundle: 7, fault: "E42", categories: ["versions"], bytes: 100 },
  });
  assert.equal(reply(handle(req("diagnostics-confirm", { bundle: 7, fault: "E42" }), ctx)), { ok: true, data: { bundle: 7, sending: true } });
  assert.is((reply(handle(req("diagnostics-confirm", { bundle: 8, fault: "E42" }), ctx)) as { code: string }).code, "REFUSED");
  assert.is((reply(handle(req("diagnostics-report", { bundle: 9, event: "deleted" }), ctx)) as { code: string }).code, "REFUSED");
  assert.throws(() => req("diagnostics-prepare", { fault: "bad fault id!" }), /letters, digits/);
  const hotel = context({ profile: "hotel" }).ctx;
  assert.is((reply(handle(req("diagnostics-prepare", { fault: "E42" }), hotel)) as { code: string }).code, "HOTEL_MODE");
});

H("household page: a code and the sessions when it is on; PAGE_OFF when off; a revoke of an unknown session refused, of all audited", () => {
  const req = <T extends Request["type"]>(type: T, rest: object = {}) => Request.parse({ v: 1, id: 1, type, ...rest });
  const reply = (r: ReturnType<typeof handle>) => (r && "reply" in r ? r.reply : null);
  const off = context().ctx;
  assert.is((reply(handle(req("page-pair"), off)) as { code: string }).code, "PAGE_OFF");
  assert.is((reply(handle(req("page-sessions"), off)) as { code: string }).code, "PAGE_OFF");
  const live = [{ id: 4, label: "Chrome on Android", createdAt: 1, lastSeenAt: 2 }];
  let codes = 0;
  const { ctx, calls } = context({
    page: {
      issueCode: () => (++codes > 1 ? { ok: false, retryAfterSeconds: 40 } : { ok: true, code: "012345", validSeconds: 120 }),
      urls: ["https://192.168.1.20:8080/"],
      fingerprint: "AA:BB",
      sessions: () => live,
      revoke: (id) => (id === "all" || id === 4 ? 1 : 0),
    },
  });
  assert.equal(reply(handle(req("page-pair"), ctx)), {
    ok: true,
    data: { code: "012345", validSeconds: 120, urls: ["https://192.168.1.20:8080/"], fingerprint: "AA:BB" },
  });
  assert.is((reply(handle(req("page-pair"), ctx)) as { code: string }).code, "RATE_LIMITED");
  assert.equal(reply(handle(req("page-sessions"), ctx)), { ok: true, data: { sessions: live } });
  assert.is((reply(handle(req("page-sessions", { revoke: 9 }), ctx)) as { code: string }).code, "REFUSED");
  assert.equal(reply(handle(req("page-sessions", { revoke: "all" }), ctx)), { ok: true, data: { sessions: live, revoked: 1 } });
  assert.ok(calls.includes("audit page-sessions-revoked"));
  assert.throws(() => req("page-sessions", { revoke: 0 }));
});

H.run();
