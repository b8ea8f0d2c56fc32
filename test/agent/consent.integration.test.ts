/**
 * The household's consents on the real agent (real ledger file, real bridge socket, outbox
 * uploads, a real mosquitto for the fleet): basic voice service with every optional consent off,
 * a withdrawal stopping what it allowed at once, a fleet purpose inert until granted, and
 * `spa consent` as a household member runs it.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { NOTICES, TRAINING_OFF_NOTICE } from "../../agent/consent/features.ts";
import { generateKeys, signEnvelope } from "../../agent/policy/trust.ts";
import { stateData, type AckData } from "../../firmware-bridge/protocol/messages.ts";
import { FakeFirmware } from "../../firmware-bridge/sim/fake-firmware.ts";
import { startAgent, type InProcessAgent } from "../helpers/agent-in-process.ts";
import { startBroker } from "../helpers/mosquitto.ts";
import { tempDir, until } from "../helpers/tmp.ts";

const C = suite("consents (real agent)");
const running: Array<{ stop: () => Promise<void> }> = [];
C.after.each(async () => {
  for (const a of running.splice(0).reverse()) await a.stop();
});

async function agentWith(over: Record<string, unknown> = {}): Promise<{ a: InProcessAgent; fw: FakeFirmware }> {
  const a = await startAgent({ mode: "near", ...over });
  const fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
  running.push({ stop: () => a.stop() }, { stop: async () => fw.stop() });
  return { a, fw };
}

async function talk(a: InProcessAgent, fw: FakeFirmware, ms = 400): Promise<void> {
  await fw.pushToTalk(ms);
  await a.agent.driver!.settled();
}

const ok = async (fw: FakeFirmware, req: Record<string, unknown>): Promise<AckData[keyof AckData]> => {
  const r = await fw.request(req as never);
  assert.is(r.type, "ack", JSON.stringify(r));
  return (r as { data: AckData[keyof AckData] }).data;
};

C("basic voice service works with every optional consent off; withdrawing uploads drops the queued ones at once, the captures stay", async () => {
  const out = tempDir("spa-consent-outbox-");
  running.push({ stop: async () => out.remove() });
  // Uploads wait up to an hour: they are still queued when the household withdraws.
  const { a, fw } = await agentWith({ upload: { kind: "outbox", outboxDir: out.path, sendDelayMaxSeconds: 3600 } });
  await talk(a, fw);
  await until(() => a.agent.captures!.uploads.queued().length === 1, 5000, "one upload queued");
  const w = (await ok(fw, { type: "consent-withdraw", feature: "uploads" })) as AckData["consent-withdraw"];
  assert.equal([w.stopped, w.affected, w.consent.granted], ["cancel-queued-uploads", 1, false]);
  assert.is(a.agent.captures!.uploads.queued().length, 0, "the queue is empty at once");
  assert.is(a.agent.captures!.list()[0]!.uploadState, "dropped", "the capture stays on the speaker");
  for (const feature of ["training", "diagnostics"]) await ok(fw, { type: "consent-withdraw", feature });
  // Every optional consent off: the speaker still listens, captures and keeps locally.
  await talk(a, fw);
  assert.is(a.agent.captures!.count(), 2, "a new capture is kept");
  assert.is(a.agent.captures!.uploads.queued().length, 0, "and not queued for upload");
  assert.equal(readdirSync(out.path), [], "nothing left the device");
  const state = stateData(((await fw.request({ type: "get-state" })) as { data: AckData["get-state"] }).data)!;
  assert.equal(
    state.consents.map((c) => [c.feature, c.granted]),
    [
      ["uploads", false],
      ["training", false],
      ["diagnostics", false],
    ],
    "get-state shows every permission",
  );
  const events = a.agent.ledger!.audit.list(100).map((e) => e.type);
  assert.is(events.filter((t) => t === "consent-withdrawn").length, 3);
});

C("training use: off is answered (and broadcast) with the accuracy notice and untags queued uploads; on needs the current notice", async () => {
  const out = tempDir("spa-consent-outbox-");
  running.push({ stop: async () => out.remove() });
  const { a, fw } = await agentWith({ privacy: { trainingUse: true }, upload: { kind: "outbox", outboxDir: out.path, sendDelayMaxSeconds: 3600 } });
  await talk(a, fw);
  await until(() => a.agent.captures!.uploads.queued().length === 1, 5000, "one upload queued");
  const envelope = () => JSON.parse(a.agent.captures!.uploads.queued()[0]!.envelope) as { trainingAllowed: boolean };
  assert.is(envelope().trainingAllowed, true);
  const off = (await ok(fw, { type: "consent-withdraw", feature: "training" })) as AckData["consent-withdraw"];
  assert.equal(off.notice, TRAINING_OFF_NOTICE);
  assert.is(envelope().trainingAllowed, false, "the queued upload now says do-not-train");
  await fw.waitFor(() => fw.notices.includes(TRAINING_OFF_NOTICE.key), 3000, "the notice event");
  const refused = await fw.request({ type: "consent-grant", feature: "training", notice: "consent.training.v0" });
  assert.equal(refused.type === "nack" ? refused.code : null, "NOTICE_OUTDATED");
  await ok(fw, { type: "consent-grant", feature: "training", notice: NOTICES.training.key });
  assert.is(a.agent.consents!.granted("training"), true);
});

C("a fleet purpose stays inert until the household grants it (real broker): uploads name it only while granted; telemetry carries no identifier", async () => {
  const dir = tempDir("spa-consent-fleet-");
  const broker = await startBroker(dir.path);
  running.push({
    stop: async () => {
      await broker.stop();
      dir.remove();
    },
  });
  const keys = generateKeys();
  writeFileSync(join(dir.path, "op.pub.pem"), keys.publicPem);
  const outbox = join(dir.path, "outbox");
  const { a, fw } = await agentWith({
    device: { id: "dev9", serial: "SERIAL-CANARY-77", accountId: "ACCOUNT-CANARY-88" },
    upload: { kind: "outbox", outboxDir: outbox, sendDelayMaxSeconds: 0, deletionGapMaxSeconds: 0 },
    policy: {
      trustedKeys: [{ keyId: keys.keyId, publicKeyFile: join(dir.path, "op.pub.pem") }],
      mqtt: { url: broker.url, fleet: "f9", caFile: broker.ca, username: broker.username, passwordFile: broker.passwordFile },
    },
  });
  const op = await mqtt.connectAsync(broker.url, { ca: readFileSync(broker.ca), username: broker.username, password: broker.password });
  running.push({ stop: () => op.endAsync() });
  // Routine telemetry (state, online, every report while this runs): never an identifier.
  const published: string[] = [];
  op.on("message", (topic, payload) => void published.push(`${topic} ${payload.toString()}`));
  await op.subscribeAsync("spa/v1/device/#", { qos: 1 });
  const purpose = { id: "noise-study", version: 1, zh: "用于研究家庭噪声环境，改进降噪。", en: "To study household noise and improve noise suppression." };
  const policy = { retentionDays: 30, uploads: true, purposes: [purpose] };
  await op.publishAsync("spa/v1/fleet/f9/policy", JSON.stringify(signEnvelope(keys.privatePem, { policy, version: 1, issuedAt: new Date().toISOString() })), {
    qos: 1,
    retain: true,
  });
  await until(() => a.agent.policy!.appliedFrom === "fleet", 10_000, "the policy applied");
  // Upload files are named by their random ids: the new one is the one not seen before.
  const seen = new Set<string>();
  const uploadOne = async (): Promise<{ purposes?: string[] }> => {
    await talk(a, fw);
    const fresh = (): string[] => (existsSync(outbox) ? readdirSync(outbox) : []).filter((f) => f.endsWith(".json") && !seen.has(f));
    await until(() => fresh().length === 1, 5000, "the upload");
    const f = fresh()[0]!;
    seen.add(f);
    return JSON.parse(readFileSync(join(outbox, f), "utf8")) as { purposes?: string[] };
  };
  assert.is((await uploadOne()).purposes, undefined, "inert: not granted");
  const listed = (await ok(fw, { type: "consents" })) as AckData["consents"];
  const line = listed.consents.find((c) => c.feature === "purpose:noise-study")!;
  assert.equal([line.granted, line.currentNotice], [false, "purpose.noise-study.v1"]);
  assert.ok(listed.notices.some((n) => n.key === "purpose.noise-study.v1" && n.zh === purpose.zh));
  await ok(fw, { type: "consent-grant", feature: "purpose:noise-study", notice: "purpose.noise-study.v1" });
  assert.equal((await uploadOne()).purposes, ["noise-study"]);
  await ok(fw, { type: "consent-withdraw", feature: "purpose:noise-study" });
  assert.is((await uploadOne()).purposes, undefined, "withdrawn: not named again");
  assert.ok(
    published.some((m) => m.includes("/state ")),
    "the state was reported",
  );
  for (const id of ["SERIAL-CANARY-77", "ACCOUNT-CANARY-88", hostname()])
    assert.not.ok(
      published.some((m) => m.includes(id)),
      `telemetry carries ${id}`,
    );
});

C(
  "spa consent: grant shows the notice and records nothing without its key; with it, recorded; withdraw prints what stopped and the accuracy notice",
  async () => {
    const { a } = await agentWith();
    // Asynchronously: the agent answers from this very process.
    const spa = (...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
      new Promise((done) => {
        const p = execFile(
          process.execPath,
          ["bin/spa.mjs", "consent", ...args, "--socket", a.socketPath],
          { encoding: "utf8", timeout: 30_000 },
          (err, stdout, stderr) => done({ status: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr }),
        );
        p.stdin?.end();
      });
    const shown = await spa("grant", "diagnostics");
    assert.is(shown.status, 1, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^${NOTICES.diagnostics.key}\\n${NOTICES.diagnostics.zh}`));
    assert.match(shown.stdout, /Nothing recorded yet\. To agree to this notice: spa consent grant diagnostics --notice consent\.diagnostics\.v1/);
    assert.is(a.agent.consents!.granted("diagnostics"), false);
    const granted = await spa("grant", "diagnostics", "--notice", NOTICES.diagnostics.key);
    assert.is(granted.status, 0, granted.stderr);
    assert.is(a.agent.consents!.granted("diagnostics"), true);
    const list = await spa("list", "--history");
    assert.match(list.stdout, /diagnostics\s+on\s+household/);
    assert.match(list.stdout, /voice-service\s+on\s+basic/);
    assert.match(list.stdout, /diagnostics {2}granted {2}by household via bridge {2}notice consent\.diagnostics\.v1/);
    const off = await spa("withdraw", "training");
    assert.is(off.status, 0, off.stderr);
    assert.match(off.stdout, /training: off, by the household; 0 queued uploads now say do-not-train\n已关闭语音用于模型训练/);
    const basic = await spa("withdraw", "voice-service");
    assert.is(basic.status, 1);
    assert.match(basic.stderr, /basic function.*mute it \(BASIC_FEATURE\)/);
  },
);

C("a child's speaker: every optional feature off until a guardian consents, never training use, at most 30 days", async () => {
  const out = tempDir("spa-consent-outbox-");
  running.push({ stop: async () => out.remove() });
  const { a, fw } = await agentWith({
    profile: "child",
    privacy: { trainingUse: true },
    upload: { kind: "outbox", outboxDir: out.path, sendDelayMaxSeconds: 3600 },
  });
  const state = stateData(((await fw.request({ type: "get-state" })) as { data: AckData["get-state"] }).data)!;
  assert.is(state.profile, "child");
  assert.ok(
    state.consents.every((c) => !c.granted),
    "nothing on by default, whatever the operator's defaults say",
  );
  await talk(a, fw);
  assert.is(a.agent.captures!.count(), 1, "basic service works");
  assert.is(a.agent.captures!.uploads.queued().length, 0, "not uploaded without a guardian's consent");
  const household = await fw.request({ type: "consent-grant", feature: "uploads", notice: NOTICES.uploads.key });
  assert.equal(household.type === "nack" ? household.code : null, "GUARDIAN_REQUIRED");
  const training = await fw.request({ type: "consent-grant", feature: "training", notice: NOTICES.training.key, by: "guardian" });
  assert.equal(training.type === "nack" ? training.code : null, "CHILD_PROFILE");
  await ok(fw, { type: "consent-grant", feature: "uploads", notice: NOTICES.uploads.key, by: "guardian" });
  await talk(a, fw);
  await until(() => a.agent.captures!.uploads.queued().length === 1, 5000, "queued once a guardian consented");
  const envelope = JSON.parse(a.agent.captures!.uploads.queued()[0]!.envelope) as { trainingAllowed: boolean };
  assert.is(envelope.trainingAllowed, false, "never for training");
  assert.is(a.agent.ledger!.limitMs(), 30 * 86_400_000, "kept at most 30 days");
});

C.run();
