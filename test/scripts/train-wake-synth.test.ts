/** Made-up espeak-ng speakers for wake-word training: deterministic, really different, system untouched. */
import { readdirSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { espeakDataDir, randomVariant, synth } from "../../scripts/train-wake/synth.ts";

const S = suite("wake training voices");

S("a made-up speaker's variant file is a function of its name, with every field espeak-ng reads", () => {
  assert.is(randomVariant("rand-7"), randomVariant("rand-7"));
  assert.is.not(randomVariant("rand-7"), randomVariant("rand-8"));
  const v = randomVariant("rand-7");
  assert.match(v, /^language variant\nname rand-7\ngender (male|female)\npitch \d+ \d+\n/);
  for (let k = 0; k <= 8; k++) assert.match(v, new RegExp(`^formant ${k} \\d+ \\d+ \\d+$`, "m"));
  // Formant frequencies stay within what a human vocal tract spans around espeak's defaults.
  for (let i = 0; i < 200; i++) {
    for (const m of randomVariant(`rand-${i}`).matchAll(/^formant [1-8] (\d+) /gm)) {
      const f = Number(m[1]);
      assert.ok(f >= 66 && f <= 146, `rand-${i}: formant at ${f} %`);
    }
  }
});

S("espeak-ng speaks with made-up speakers (same name, same audio; another name, other audio) and the system voices stay as they were", async () => {
  const systemData = espeakDataDir();
  const before = readdirSync(`${systemData}/voices/!v`).sort();
  const voice = { lang: "cmn" as const, speed: 170, pitch: 50 };
  const a = await synth("天猫精灵", { ...voice, variant: "rand-3" });
  const a2 = await synth("天猫精灵", { ...voice, variant: "rand-3" });
  const b = await synth("天猫精灵", { ...voice, variant: "rand-4" });
  const m3 = await synth("天猫精灵", { ...voice, variant: "m3" });
  assert.ok(a.length > 8000, "speech came out");
  assert.equal(a, a2);
  const differs = (x: Int16Array, y: Int16Array): boolean => x.length !== y.length || x.some((v, i) => v !== y[i]);
  assert.ok(differs(a, b));
  assert.ok(differs(a, m3));
  assert.equal(readdirSync(`${systemData}/voices/!v`).sort(), before);
});

S.run();
