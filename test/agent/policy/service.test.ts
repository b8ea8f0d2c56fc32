/**
 * The policy service's own rules (issue 14.5, 14.9): junk on a policy topic cannot fill the
 * audit log; a policy refused because the device clock was behind applies once the clock is
 * right, without waiting for a reconnect; each topic's last rejection is reported.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { PolicyEngine } from "../../../agent/policy/engine.ts";
import { PolicyService, REJECTION_WINDOW_MS } from "../../../agent/policy/service.ts";
import { DeviceStateSchema } from "../../../agent/policy/topics.ts";
import { generateKeys, publicKeyFromPem, signEnvelope } from "../../../agent/policy/trust.ts";
import { silentLogger } from "../../../agent/log.ts";
import { MemoryBroker, MemoryTransport } from "../../fakes/memory-transport.ts";
import { until } from "../../helpers/tmp.ts";

const keys = generateKeys();
const household = {
  retentionDays: 180,
  uploads: true,
  trainingUse: false,
  alphaMin: 0.5,
  alphaMax: 0.9,
  wakeWords: ["天猫精灵", "你好天猫"] as Array<"天猫精灵" | "你好天猫">,
};

function service(clock: { now: number }, timers: Array<{ ms: number; fn: () => void }> = []) {
  const engine = new PolicyEngine({ trusted: new Map([[keys.keyId, publicKeyFromPem(keys.publicPem)]]), household: () => household, now: () => clock.now });
  const audit: Array<{ type: string; data: Record<string, unknown> }> = [];
  let applied = 0;
  const svc = new PolicyService({
    engine,
    log: silentLogger,
    deviceId: "d1",
    fleet: "f1",
    topicPrefix: "spa/v1",
    load: () => ({ envelope: null, floor: 0 }),
    save: () => undefined,
    audit: (type, data) => void audit.push({ type, data }),
    onApplied: () => void applied++,
    compliance: () => ({ capturesKept: 0, oldestKeptDays: null, purged: 0, falseWakes: 0 }),
    now: () => clock.now,
    after: (ms, fn) => {
      const t = { ms, fn };
      timers.push(t);
      return { cancel: () => void timers.splice(timers.indexOf(t), 1) };
    },
  });
  return { svc, engine, audit, applied: () => applied };
}

const S = suite("policy service");

S("20,000 junk publishes make a handful of audit events, with the count", () => {
  const clock = { now: Date.UTC(2026, 11, 2, 12) };
  const { svc, audit } = service(clock);
  for (let i = 0; i < 20_000; i++) {
    svc.handle(i % 2 ? "fleet" : "device", i % 3 ? `junk ${i}` : JSON.stringify({ version: i }));
    clock.now += 10; // 200 s in all: inside one window
  }
  assert.ok(audit.length <= 4, `${audit.length} audit events`);
  clock.now += REJECTION_WINDOW_MS;
  svc.handle("fleet", "junk again");
  svc.flushRejections();
  const counted = audit.reduce((n, e) => n + 1 + Number(e.data.repeated ?? 0), 0) - audit.filter((e) => e.data.repeated).length;
  assert.is(counted, 20_001, "every rejection is counted");
  assert.ok(audit.length <= 10, `${audit.length} audit events`);
});

S("a policy refused as from the future applies once the clock is corrected, without a reconnect", () => {
  const real = Date.UTC(2026, 11, 2, 12);
  const clock = { now: real - 3 * 86_400_000 }; // the device clock is three days behind
  const timers: Array<{ ms: number; fn: () => void }> = [];
  const { svc, engine, applied } = service(clock, timers);
  const env = signEnvelope(keys.privatePem, { policy: { forceMute: true }, version: 7, issuedAt: new Date(real).toISOString() });
  svc.handle("fleet", JSON.stringify(env));
  assert.is(engine.applied, null);
  assert.equal(svc.lastRejection.fleet?.code, "FROM_THE_FUTURE");
  assert.is(svc.lastRejection.device, null, "the device topic's report is its own");
  assert.is(timers.length, 1, "a re-offer is scheduled");
  timers.shift()!.fn(); // a minute later, still behind: held again
  assert.is(engine.applied, null);
  clock.now = real + 1000; // NTP fixed the clock
  timers.shift()!.fn(); // the next minute
  assert.is(timers.length, 0, "nothing left to re-offer");
  assert.is(engine.applied?.version, 7);
  assert.is(applied(), 1);
  assert.is(svc.lastRejection.fleet, null);
  assert.equal((svc.state().lastRejectionByTopic as Record<string, unknown>).fleet, null);
});

S("over a transport (the in-memory broker): a retained policy applies once, the state is published on every connect, stop says offline", async () => {
  const clock = { now: Date.now() };
  const { svc, audit, applied } = service(clock);
  const broker = new MemoryBroker();
  broker.publish(
    "spa/v1/fleet/f1/policy",
    JSON.stringify(signEnvelope(keys.privatePem, { policy: { retentionDays: 30 }, version: 4, issuedAt: new Date(clock.now - 1000).toISOString() })),
    true,
  );
  svc.connect(new MemoryTransport(broker));
  const state = (): { appliedVersion: number; status: string } | null => {
    const s = broker.retained.get("spa/v1/device/d1/state");
    return s ? (JSON.parse(s) as { appliedVersion: number; status: string }) : null;
  };
  await until(() => state()?.appliedVersion === 4, 5000, "version 4 applied and reported");
  assert.is(broker.retained.get("spa/v1/device/d1/online"), "online");
  assert.is(state()!.status, "applied");
  const typed = DeviceStateSchema.safeParse(JSON.parse(broker.retained.get("spa/v1/device/d1/state")!));
  assert.ok(typed.success, "the state matches the topic catalogue's schema");
  broker.down();
  broker.retained.delete("spa/v1/device/d1/state");
  broker.back();
  await until(() => state() !== null, 5000, "the state published again on reconnect");
  assert.is(state()!.appliedVersion, 4);
  assert.is(applied(), 1, "the retained copy delivered again is not applied again");
  assert.is(audit.filter((a) => a.type === "policy-applied").length, 1);
  await svc.stop();
  assert.is(broker.retained.get("spa/v1/device/d1/online"), "offline");
});

S.run();
