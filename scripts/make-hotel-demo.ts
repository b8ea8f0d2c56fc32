/**
 * Builds agent/audio/demo-hotel.wav, the guest-room recording `npm start -- --set profile=hotel`
 * replays when no microphone is configured (synthetic speech, espeak-ng, a voice neither the wake
 * model nor the command recogniser trained on):
 *
 *   node scripts/make-hotel-demo.ts [--out FILE]
 *
 * A guest wakes the speaker and asks for the room to be cleaned (forwarded: clean-room), wakes it
 * and chats about tomorrow (dropped), talks without waking it (never a session), and wakes it and
 * asks for towels (forwarded: towels). Each request is followed by silence long enough to end the
 * session (gate.trailingSilenceMs).
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { encodeWav } from "../agent/audio/wav.ts";
import { removeEspeakScratch, synth } from "./train-wake/synth.ts";

const { values } = parseArgs({ options: { out: { type: "string", default: "agent/audio/demo-hotel.wav" } } });

/** The guest's turns: what is said, then seconds of silence. */
export const HOTEL_DEMO_SCRIPT: ReadonlyArray<{ text: string; pauseS: number }> = [
  { text: "天猫精灵", pauseS: 0.4 },
  { text: "请帮我打扫房间", pauseS: 2.5 },
  { text: "天猫精灵", pauseS: 0.4 },
  { text: "明天我们去哪里玩", pauseS: 2.5 },
  { text: "这个房间的窗户很大", pauseS: 2 },
  { text: "你好天猫", pauseS: 0.4 },
  { text: "请送两条毛巾", pauseS: 2.5 },
];

const RATE = 16000;
const parts: Int16Array[] = [new Int16Array(RATE)];
for (const { text, pauseS } of HOTEL_DEMO_SCRIPT) {
  parts.push(await synth(text, { lang: "cmn", variant: "Gene", speed: 160, pitch: 50 }));
  parts.push(new Int16Array(Math.round(pauseS * RATE)));
}
const audio = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
let off = 0;
for (const p of parts) {
  audio.set(p, off);
  off += p.length;
}
writeFileSync(values.out, encodeWav(audio));
removeEspeakScratch();
process.stderr.write(`wrote ${values.out} (${(audio.length / RATE).toFixed(1)} s)\n`);
