/** A hotel's check-out order: who may give it, for which speaker, once, and never to a home. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { decideCheckout, type CheckoutContext } from "../../../agent/policy/checkout.ts";
import { PolicyEngine } from "../../../agent/policy/engine.ts";
import { generateKeys, publicKeyFromPem, signEnvelope } from "../../../agent/policy/trust.ts";

const keys = generateKeys();
const stranger = generateKeys();
const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const ctx: CheckoutContext = { trusted: new Map([[keys.keyId, publicKeyFromPem(keys.publicPem)]]), deviceId: "room-101", floor: 5, hotel: true, now: NOW };
const order = (body: Record<string, unknown>, seq: number, pem = keys.privatePem, issuedAt = new Date(NOW - 1000).toISOString()): string =>
  JSON.stringify(signEnvelope(pem, { policy: body, version: seq, issuedAt }));
const checkout = { command: "checkout", device: "room-101" };

const C = suite("hotel check-out");

C("a signed check-out for this room, newer than the last one, in hotel mode, is carried out", () => {
  const d = decideCheckout(order(checkout, 6), ctx);
  assert.ok(d.ok && d.seq === 6, JSON.stringify(d));
});

C("refusals, each with its code", () => {
  const tampered = JSON.parse(order(checkout, 7)) as Record<string, unknown>;
  tampered.policy = { command: "checkout", device: "room-102" };
  const table: Array<[string, string, CheckoutContext?]> = [
    ["not json", "MALFORMED"],
    [order(checkout, 7, stranger.privatePem), "UNKNOWN_KEY"],
    [JSON.stringify(tampered), "BAD_SIGNATURE"],
    [order({ command: "checkout", device: "room-102" }, 7), "WRONG_DEVICE"],
    [order(checkout, 5), "NOT_NEWER"],
    [order(checkout, 7, keys.privatePem, new Date(NOW + 3_600_000).toISOString()), "FROM_THE_FUTURE"],
    [order(checkout, 7), "NOT_HOTEL", { ...ctx, hotel: false }],
    [order({ retentionDays: 30 }, 7), "MALFORMED"],
    [order({ command: "checkout", device: "room-101", also: 1 }, 7), "MALFORMED"],
  ];
  for (const [raw, code, c] of table) {
    const d = decideCheckout(raw, c ?? ctx);
    assert.ok(!d.ok && d.code === code, `${code}: ${JSON.stringify(d)}`);
  }
});

C("a check-out is not a policy: offered on a policy topic it is refused by the policy schema", () => {
  const engine = new PolicyEngine({
    trusted: ctx.trusted,
    household: () => ({ retentionDays: 180, uploads: true, trainingUse: false, alphaMin: 0.5, alphaMax: 0.9, wakeWords: ["天猫精灵"] }),
    now: () => NOW,
  });
  const r = engine.offer(order(checkout, 9));
  assert.ok(!r.ok && r.code === "SCHEMA_INVALID", JSON.stringify(r));
});

C.run();
