/**
 * A small vendor corpus for the tests (scripts/train-wake/recordings.ts layout), spoken by
 * espeak-ng voices standing in for household members: WAVs of several formats, since vendors'
 * recordings come as they come (16 kHz mono, 44.1 kHz stereo, 24-bit).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeWav } from "../../agent/audio/wav.ts";
import { synth } from "../../scripts/train-wake/synth.ts";

export async function makeCorpus(dir: string, speakers: Record<string, string> = { alice: "f2", bob: "m3" }, takes = 1): Promise<void> {
  let n = 0;
  for (const [name, variant] of Object.entries(speakers)) {
    for (const [folder, texts] of [
      ["天猫精灵", ["天猫精灵"]],
      ["你好天猫", ["你好天猫"]],
      ["negative", ["今天晚上吃什么。我们周末去公园玩"]],
    ] as const) {
      mkdirSync(join(dir, name, folder), { recursive: true });
      for (let t = 0; t < takes; t++)
        for (const text of texts) {
          const pcm = await synth(text, { lang: "cmn", variant, speed: 150 + 20 * t, pitch: 40 + 10 * t });
          const padded = new Int16Array(pcm.length + 8000);
          padded.set(pcm, 4000);
          const file = join(dir, name, folder, `take-${t}.wav`);
          writeFileSync(file, encodeWav(padded));
          // Every other file in another format, converted by sox.
          if (n++ % 2 === 1) {
            const tmp = `${file}.tmp.wav`;
            execFileSync("sox", ["-G", file, "-r", "44100", "-c", "2", "-b", "24", tmp]);
            execFileSync("mv", [tmp, file]);
          }
        }
    }
  }
}
