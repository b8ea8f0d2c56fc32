/** The MQTT policy transport on a real mosquitto (TLS, password) passes the transport contract. */
import { readFileSync } from "node:fs";
import mqtt from "mqtt";
import { MqttTransport } from "../../../agent/adapters/mqtt-transport.ts";
import { retainedOn } from "../../../agent/cli-policy.ts";
import { silentLogger } from "../../../agent/log.ts";
import { policyTransportContract } from "../../contracts/policy-transport.contract.ts";
import { startBroker } from "../../helpers/mosquitto.ts";
import { tempDir } from "../../helpers/tmp.ts";

let n = 0;
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
