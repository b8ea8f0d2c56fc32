/**
 * The policy transport over MQTT (mqtt.js): TLS and credentials from the config, QoS 1, retained
 * messages, a Last Will, and reconnection with exponential backoff between reconnectMinMs and
 * reconnectMaxMs. mqtt.js is imported when start() runs, so an agent without a broker never
 * loads it.
 */
import type { IClientOptions, MqttClient } from "mqtt";
import { readFileSync } from "node:fs";
import { AgentError, toError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { PolicyTransport, TransportEvents, TransportMessage } from "../ports/policy-transport.ts";

export interface MqttSettings {
  url: string;
  protocolVersion: 4 | 5;
  caFile: string | null;
  username: string | null;
  passwordFile: string | null;
  certFile: string | null;
  keyFile: string | null;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

/** Connection options shared by the device and the operator tools. */
export function mqttOptions(s: Omit<MqttSettings, "url" | "reconnectMinMs" | "reconnectMaxMs">): IClientOptions {
  const o: IClientOptions = { protocolVersion: s.protocolVersion, clean: true, connectTimeout: 10_000 };
  if (s.caFile) o.ca = readFileSync(s.caFile);
  if (s.certFile) o.cert = readFileSync(s.certFile);
  if (s.keyFile) o.key = readFileSync(s.keyFile);
  if (s.username) o.username = s.username;
  if (s.passwordFile) o.password = readFileSync(s.passwordFile, "utf8").trim();
  return o;
}

export class MqttTransport implements PolicyTransport {
  readonly #s: MqttSettings;
  readonly #clientId: string;
  readonly #log: Logger;
  #client: MqttClient | null = null;
  #delay = 0;
  #stopped = false;
  connected = false;

  constructor(settings: MqttSettings, clientId: string, log: Logger) {
    this.#s = settings;
    this.#clientId = clientId;
    this.#log = log;
  }

  /**
   * Throws at once what can never work (a broker URL that is not one, a CA, certificate, key or
   * password file that cannot be read), so the agent's start fails visibly instead of a device
   * that silently never connects; only loading mqtt.js and connecting happen later.
   */
  start(o: { birth: TransportMessage; will: TransportMessage; subscriptions: string[] }, events: TransportEvents): void {
    const url = new URL(this.#s.url);
    if (!["mqtt:", "mqtts:", "ws:", "wss:"].includes(url.protocol))
      throw new AgentError("CONFIG_INVALID", `policy.mqtt.url: ${url.protocol} is not an MQTT URL (mqtt://, mqtts://, ws://, wss://)`);
    const options = mqttOptions(this.#s);
    void this.#start(o, events, options).catch((e) => this.#log.error("cannot start the MQTT client", { error: toError(e).message }));
  }

  async #start(
    o: { birth: TransportMessage; will: TransportMessage; subscriptions: string[] },
    events: TransportEvents,
    options: IClientOptions,
  ): Promise<void> {
    const { default: mqtt } = await import("mqtt");
    if (this.#stopped) return;
    const s = this.#s;
    this.#delay = s.reconnectMinMs;
    const c = mqtt.connect(s.url, {
      ...options,
      clientId: this.#clientId,
      reconnectPeriod: s.reconnectMinMs,
      will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: 1, retain: true },
    });
    this.#client = c;
    c.on("connect", () => {
      this.#delay = s.reconnectMinMs;
      c.options.reconnectPeriod = s.reconnectMinMs;
      c.publish(o.birth.topic, o.birth.payload, { qos: 1, retain: true });
      c.subscribe(o.subscriptions, { qos: 1 }, (err) => {
        if (err) this.#log.warn("policy subscription failed", { error: err.message });
      });
      this.connected = true;
      events.connected();
    });
    c.on("message", (topic, payload) => events.message(topic, payload));
    c.on("close", () => {
      const was = this.connected;
      this.connected = false;
      // Exponential backoff: mqtt.js reads reconnectPeriod when it schedules the next attempt.
      this.#delay = Math.min(s.reconnectMaxMs, this.#delay * 2);
      c.options.reconnectPeriod = this.#delay;
      if (was) events.disconnected();
    });
    c.on("error", (e) => this.#log.warn("fleet broker error", { error: toError(e).message }));
  }

  publishRetained(topic: string, payload: string): void {
    if (!this.#client?.connected) return;
    this.#client.publish(topic, payload, { qos: 1, retain: true });
  }

  publish(topic: string, payload: string): void {
    if (!this.#client?.connected) return;
    this.#client.publish(topic, payload, { qos: 1, retain: false });
  }

  async stop(last?: TransportMessage): Promise<void> {
    this.#stopped = true;
    const c = this.#client;
    this.#client = null;
    this.connected = false;
    if (!c) return;
    if (last && c.connected) await new Promise<void>((r) => c.publish(last.topic, last.payload, { qos: 1, retain: true }, () => r()));
    await new Promise<void>((r) => c.end(false, {}, () => r()));
  }
}
