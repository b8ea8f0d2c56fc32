/**
 * What the fleet logic relies on from a policy transport, run against the MQTT adapter on a real
 * mosquitto (test/agent/policy/transport.integration.test.ts) and the in-memory fake
 * (test/agent/policy/transport-fake.test.ts).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { PolicyTransport, TransportEvents } from "../../agent/ports/policy-transport.ts";
import { until } from "../helpers/tmp.ts";

export interface TransportWorld {
  /** A transport of a device. */
  make(): PolicyTransport;
  /** The operator's side: publish retained, read what a topic retains. */
  publishRetained(topic: string, payload: string): Promise<void>;
  retained(topic: string): Promise<string | null>;
  /** The broker goes away, then comes back (retained messages kept). */
  brokerDown(): Promise<void>;
  brokerBack(): Promise<void>;
  close(): Promise<void>;
}

function recorder(): TransportEvents & { log: string[]; messages: Array<[string, string]> } {
  const log: string[] = [];
  const messages: Array<[string, string]> = [];
  return {
    log,
    messages,
    connected: () => void log.push("connected"),
    disconnected: () => void log.push("disconnected"),
    message: (topic, payload) => void messages.push([topic, payload.toString()]),
  };
}

const P = "contract/v1";
const opts = (id: string) => ({
  birth: { topic: `${P}/device/${id}/online`, payload: "online" },
  will: { topic: `${P}/device/${id}/online`, payload: "offline" },
  subscriptions: [`${P}/fleet/f/policy`, `${P}/device/${id}/policy`],
});

export function policyTransportContract(name: string, world: () => Promise<TransportWorld>): void {
  const C = suite(`policy transport contract: ${name}`);
  let w: TransportWorld;
  const started: PolicyTransport[] = [];
  C.before.each(async () => {
    w = await world();
  });
  C.after.each(async () => {
    for (const t of started.splice(0)) await t.stop();
    await w.close();
  });
  const start = (id: string) => {
    const t = w.make();
    started.push(t);
    const ev = recorder();
    t.start(opts(id), ev);
    return { t, ev };
  };

  C("start: birth retained, retained policies delivered after connected, state published retained", async () => {
    await w.publishRetained(`${P}/fleet/f/policy`, "fleet-v1");
    const { t, ev } = start("d1");
    await until(() => ev.messages.length === 1, 10_000, "the retained policy");
    assert.equal(ev.log, ["connected"]);
    assert.ok(t.connected);
    assert.equal(ev.messages, [[`${P}/fleet/f/policy`, "fleet-v1"]]);
    assert.is(await w.retained(`${P}/device/d1/online`), "online");
    t.publishRetained(`${P}/device/d1/state`, '{"v":1}');
    await until(async () => (await w.retained(`${P}/device/d1/state`)) === '{"v":1}', 10_000, "the state retained");
  });

  C("messages on subscribed topics only; stop says goodbye and ends delivery", async () => {
    const { t, ev } = start("d2");
    await until(() => t.connected, 10_000, "connected");
    await w.publishRetained(`${P}/device/other/policy`, "not mine");
    await w.publishRetained(`${P}/device/d2/policy`, "mine");
    await until(() => ev.messages.length === 1, 10_000, "the device policy");
    assert.equal(ev.messages, [[`${P}/device/d2/policy`, "mine"]]);
    await t.stop({ topic: `${P}/device/d2/online`, payload: "offline" });
    assert.not.ok(t.connected);
    assert.is(await w.retained(`${P}/device/d2/online`), "offline");
    t.publishRetained(`${P}/device/d2/state`, "after stop");
    await w.publishRetained(`${P}/device/d2/policy`, "too late");
    assert.is(await w.retained(`${P}/device/d2/state`), null, "nothing published after stop");
    assert.equal(ev.messages, [[`${P}/device/d2/policy`, "mine"]]);
  });

  C("broker gone and back: disconnected, publishing dropped meanwhile, reconnected by itself, retained delivered again", async () => {
    await w.publishRetained(`${P}/fleet/f/policy`, "fleet-v2");
    const { t, ev } = start("d3");
    await until(() => ev.messages.length === 1, 10_000, "the retained policy");
    await w.brokerDown();
    await until(() => !t.connected && ev.log.includes("disconnected"), 10_000, "disconnected");
    t.publishRetained(`${P}/device/d3/state`, "while down"); // dropped, no throw
    await w.brokerBack();
    await until(() => ev.log.filter((e) => e === "connected").length === 2 && ev.messages.length === 2, 20_000, "reconnected with the retained policy again");
    assert.equal(ev.messages[1], [`${P}/fleet/f/policy`, "fleet-v2"]);
    assert.is(await w.retained(`${P}/device/d3/state`), null);
  });

  C("a plain publish reaches who is subscribed now and is not kept for later subscribers", async () => {
    const topic = `${P}/device/d5/hotel/command`;
    const listener = w.make();
    started.push(listener);
    const heard = recorder();
    listener.start({ ...opts("listener"), subscriptions: [topic] }, heard);
    const { t } = start("d5");
    await until(() => listener.connected && t.connected, 10_000, "both connected");
    t.publish(topic, "cmd");
    await until(() => heard.messages.length === 1, 10_000, "the event delivered");
    assert.equal(heard.messages, [[topic, "cmd"]]);
    assert.is(await w.retained(topic), null, "not retained");
  });

  C.run();
}
