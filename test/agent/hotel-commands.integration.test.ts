/**
 * A guest room end to end (real agent, real mosquitto, the shipped recogniser): a guest says
 * 「请帮我打扫房间」 — one normalised command reaches the hotel's topic and the firmware reads back
 * its standard text; a guest says an ordinary sentence — nothing leaves; either way agent.db holds
 * no capture and no session row.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { encodeWav } from "../../agent/audio/wav.ts";
import { generateKeys } from "../../agent/policy/trust.ts";
import { FakeFirmware } from "../../firmware-bridge/sim/fake-firmware.ts";
import { synth } from "../../scripts/train-wake/synth.ts";
import { voiceSplit } from "../../scripts/train-commands/data.ts";
import { startAgent } from "../helpers/agent-in-process.ts";
import { startBroker } from "../helpers/mosquitto.ts";
import { sleep, tempDir, until } from "../helpers/tmp.ts";

const G = suite("hotel room: commands leave, nothing else does");

/** One guest utterance as a WAV: a second of quiet, the words, a second of quiet. */
async function guestSays(dir: string, name: string, text: string): Promise<{ file: string; seconds: number }> {
  // A voice the recogniser never trained on (held out), one it understands: how often it
  // understands held-out voices is the benchmark's question (npm run bench -- commands), this
  // test's is whether a recognised command, and only that, leaves the room.
  const voice = "Gene";
  assert.ok(voiceSplit(false).heldOut.includes(voice), `${voice} is a held-out voice`);
  const speech = await synth(text, { lang: "cmn", variant: voice, speed: 160, pitch: 50 });
  const audio = new Int16Array(speech.length + 32000);
  audio.set(speech, 16000);
  const file = join(dir, `${name}.wav`);
  writeFileSync(file, encodeWav(audio));
  return { file, seconds: audio.length / 16000 };
}

G("「请帮我打扫房间」 → one clean-room command on the broker and a read-back; an ordinary sentence → nothing; no capture, no session row", async () => {
  const dir = tempDir("spa-hotel-room-");
  const broker = await startBroker(dir.path);
  const keys = generateKeys();
  writeFileSync(join(dir.path, "op.pub.pem"), keys.publicPem);
  const hotelSystem = await mqtt.connectAsync(broker.url, { ca: readFileSync(broker.ca), username: broker.username, password: broker.password });
  const received: string[] = [];
  hotelSystem.on("message", (_t, payload) => received.push(payload.toString()));
  await hotelSystem.subscribeAsync("spa/v1/device/room-101/hotel/command", { qos: 1 });
  try {
    for (const [name, text, expect] of [
      ["request", "请帮我打扫房间", "clean-room"],
      ["chat", "明天我们去哪里玩", null],
    ] as const) {
      const utterance = await guestSays(dir.path, name, text);
      const before = received.length;
      const a = await startAgent({
        profile: "hotel",
        mode: "near",
        dataDir: join(dir.path, `data-${name}`),
        audio: { source: "file", file: utterance.file, pacing: "realtime", loop: false },
        device: { id: "room-101" },
        policy: {
          trustedKeys: [{ keyId: keys.keyId, publicKeyFile: join(dir.path, "op.pub.pem") }],
          mqtt: { url: broker.url, fleet: "hotel", caFile: broker.ca, username: broker.username, passwordFile: broker.passwordFile },
        },
      });
      const fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
      try {
        await until(() => a.agent.policy!.connected, 10_000, "broker connected");
        // The guest holds the talk button over the whole utterance (the file plays once from the agent's start).
        await fw.talk("down");
        await fw.waitFor(() => fw.led === "listening", 3000, "listening LED");
        await sleep(utterance.seconds * 1000);
        await fw.talk("up");
        await a.agent.driver!.settled();
        const r = await fw.request({ type: "get-state" });
        const counters = r.type === "ack" && r.data && "counters" in r.data ? r.data.counters : {};
        if (expect) {
          await until(() => received.length === before + 1, 10_000, "the command on the hotel's topic");
          const msg = JSON.parse(received.at(-1)!) as Record<string, unknown>;
          assert.equal(Object.keys(msg).sort(), ["commandId", "minute", "text"], "nothing but the normalised command");
          assert.is(msg.commandId, expect);
          assert.is(msg.text, "即刻打扫房间");
          await fw.waitFor(() => fw.hotelCommands.length === 1, 3000, "the read-back");
          assert.equal(fw.hotelCommands, [{ commandId: "clean-room", text: "即刻打扫房间" }]);
          assert.equal([counters.hotelForwarded, counters.hotelDropped], [1, 0]);
        } else {
          assert.equal([counters.hotelForwarded, counters.hotelDropped], [0, 1]);
          assert.is(received.length, before, "nothing on the hotel's topic");
          assert.equal(fw.hotelCommands, []);
        }
        assert.is(a.agent.captures!.count(), 0, "no capture");
        assert.not.ok(
          a.agent.ledger!.audit.list(1000).some((e) => e.type.startsWith("session")),
          "no session row",
        );
      } finally {
        fw.stop();
        await a.stop();
      }
    }
  } finally {
    await hotelSystem.endAsync();
    await broker.stop();
    dir.remove();
  }
});

G.run();
