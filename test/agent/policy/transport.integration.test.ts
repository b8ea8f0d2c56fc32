/** The MQTT policy transport on a real mosquitto (TLS, password) passes the transport contract. */
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import mqtt from "mqtt";
import { MqttTransport } from "../../../agent/adapters/mqtt-transport.ts";
import { retainedOn } from "../../../agent/cli-policy.ts";
import { silentLogger } from "../../../agent/log.ts";
import { policyTransportContract } from "../../contracts/policy-transport.contract.ts";
import { startBroker } from "../../helpers/mosquitto.ts";
import { tempDir } from "../../helpers/tmp.ts";

let n = 0;

test("what can never connect fails at start, not silently later: an unreadable CA file, a URL that is not MQTT", () => {
  const base = {
    url: "mqtts://127.0.0.1:1",
    protocolVersion: 5 as const,
    caFile: null,
    username: null,
    passwordFile: null,
    certFile: null,
    keyFile: null,
    reconnectMinMs: 100,
    reconnectMaxMs: 400,
  };
  const start = (s: typeof base | (Omit<typeof base, "caFile"> & { caFile: string })) => () =>
    new MqttTransport(s, "spa-x", silentLogger).start(
      { birth: { topic: "a", payload: "b" }, will: { topic: "a", payload: "c" }, subscriptions: ["a"] },
      { connected() {}, message() {}, disconnected() {} },
    );
  assert.throws(start({ ...base, caFile: "/no/such/ca.pem" }), /no such file|ENOENT/);
  assert.throws(start({ ...base, url: "https://broker.example" }), /not an MQTT URL/);
  assert.throws(start({ ...base, url: "not a url" }), /Invalid URL/);
});
test("reading a retained policy: a broker that never delivers the probe (an ACL) is an error after the timeout, not a hang or 'empty'", async () => {
  const silent = Object.assign(new EventEmitter(), {
    subscribeAsync: async () => [],
    publishAsync: async () => undefined,
    unsubscribeAsync: async () => undefined,
  }) as unknown as mqtt.MqttClient;
  const err = await retainedOn(silent, "spa/v1/fleet/f/policy", { timeoutMs: 50 }).then(
    () => null,
    (e: Error) => e,
  );
  assert.match(err?.message ?? "resolved", /did not deliver this client's probe within 50 ms/);
});

test.run();
policyTransportContract("MQTT (mqtt.js on mosquitto)", async () => {
  const dir = tempDir("spa-transport-");
  const broker = await startBroker(dir.path);
  const settings = {
    url: broker.url,
    protocolVersion: 5 as const,
    caFile: broker.ca,
    username: broker.username,
    passwordFile: broker.passwordFile,
    certFile: null,
    keyFile: null,
    reconnectMinMs: 100,
    reconnectMaxMs: 400,
  };
  const operator = async <T>(fn: (c: mqtt.MqttClient) => Promise<T>): Promise<T> => {
    const c = await mqtt.connectAsync(broker.url, {
      ca: [readFileSync(broker.ca)],
      username: broker.username,
      password: broker.password,
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    try {
      return await fn(c);
    } finally {
      await c.endAsync();
    }
  };
  return {
    make: () => new MqttTransport(settings, `spa-contract-${++n}`, silentLogger),
    publishRetained: (topic, payload) => operator(async (c) => void (await c.publishAsync(topic, payload, { qos: 1, retain: true }))),
    retained: (topic) => operator((c) => retainedOn(c, topic)),
    brokerDown: () => broker.stop(),
    brokerBack: () => broker.start(),
    close: async () => {
      await broker.stop();
      dir.remove();
    },
  };
});
