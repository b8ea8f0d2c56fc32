/**
 * Fleet fan-out: one local mosquitto, N simulated devices (each a real PolicyService with its own
 * MQTT connection and PolicyEngine, in this process), one signed fleet policy published: time
 * from publish until each device's state topic reports it applied (median, max), and the memory
 * each device's policy client adds.
 */
import { MqttTransport } from "../../agent/adapters/mqtt-transport.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { writeFileSync } from "node:fs";
import { silentLogger } from "../../agent/log.ts";
import { PolicyEngine } from "../../agent/policy/engine.ts";
import { PolicyService } from "../../agent/policy/service.ts";
import { generateKeys, publicKeyFromPem, signEnvelope } from "../../agent/policy/trust.ts";
import { startBroker } from "../../test/helpers/mosquitto.ts";
import { median } from "./stats.ts";

export interface PolicyBench {
  devices: number;
  medianMs: number;
  maxMs: number;
  applied: number;
  perDeviceKb: number;
}

export async function policyBench(n = 200): Promise<PolicyBench> {
  const dir = mkdtempSync(join(tmpdir(), "spa-bench-fleet-"));
  const broker = await startBroker(dir, { tls: false });
  const keys = generateKeys();
  const trusted = new Map([[keys.keyId, publicKeyFromPem(keys.publicPem)]]);
  const household = { retentionDays: 180, uploads: true, trainingUse: false, alphaMin: 0.5, alphaMax: 0.9, wakeWords: ["天猫精灵", "你好天猫"] as const };
  const pw = join(dir, "pw");
  writeFileSync(pw, broker.password);
  const services: PolicyService[] = [];
  try {
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().external;
    for (let i = 0; i < n; i++) {
      const engine = new PolicyEngine({ trusted, household: () => ({ ...household, wakeWords: [...household.wakeWords] }), now: () => Date.now() });
      const s = new PolicyService({
        engine,
        log: silentLogger,
        deviceId: `bench-${i}`,
        fleet: "bench",
        topicPrefix: "spa/v1",
        load: () => ({ envelope: null, floor: 0 }),
        save: () => undefined,
        audit: () => undefined,
        onApplied: () => undefined,
        compliance: () => ({ capturesKept: 0, oldestKeptDays: null, purged: 0, falseWakes: 0 }),
        now: () => Date.now(),
      });
      s.connect(
        new MqttTransport(
          {
            url: broker.url,
            protocolVersion: 5,
            caFile: null,
            username: broker.username,
            passwordFile: pw,
            certFile: null,
            keyFile: null,
            reconnectMinMs: 500,
            reconnectMaxMs: 5000,
          },
          `spa-bench-${i}`,
          silentLogger,
        ),
      );
      services.push(s);
    }
    const t0 = Date.now();
    while (services.some((s) => !s.connected)) {
      if (Date.now() - t0 > 60_000) throw new Error("devices did not all connect");
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500)); // subscriptions settle
    global.gc?.();
    const perDeviceKb = (process.memoryUsage().heapUsed + process.memoryUsage().external - heap0) / 1024 / n;

    const op = await mqtt.connectAsync(broker.url, { username: broker.username, password: broker.password });
    const seen = new Map<string, number>();
    op.on("message", (topic, payload) => {
      const m = /device\/(bench-\d+)\/state$/.exec(topic);
      if (m && payload.length && (JSON.parse(payload.toString()) as { appliedVersion: number }).appliedVersion === 1 && !seen.has(m[1]!))
        seen.set(m[1]!, Date.now());
    });
    await op.subscribeAsync("spa/v1/device/+/state", { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    const env = signEnvelope(keys.privatePem, { policy: { retentionDays: 30 }, version: 1, issuedAt: new Date().toISOString() });
    const start = Date.now();
    await op.publishAsync("spa/v1/fleet/bench/policy", JSON.stringify(env), { qos: 1, retain: true });
    while (seen.size < n && Date.now() - start < 30_000) await new Promise((r) => setTimeout(r, 10));
    const lat = [...seen.values()].map((t) => t - start).sort((a, b) => a - b);
    await op.endAsync();
    return { devices: n, medianMs: median(lat), maxMs: lat[lat.length - 1] ?? NaN, applied: seen.size, perDeviceKb };
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
