/**
 * The hotel command recogniser on voices it never trained on: espeak-ng's held-out variants and
 * gcin-voice speaker 3 (made-up people from his recorded syllables), each saying every catalogue
 * command in its catalogue phrasings, everyday sentences and near-miss requests never trained on
 * nor used to choose the threshold, in quiet and at 10 dB; top-1 accuracy (overall and per
 * command), the shares of everyday speech and of near-misses wrongly forwarded, and the real-time
 * factor of recognising a session (front end and classifier, one core).
 */
import { loadCatalogue } from "../../agent/hotel/catalogue.ts";
import { framedForRecognition, loadCommandModel, recognise } from "../../agent/hotel/recogniser.ts";
import { SpeechEmbedder } from "../../agent/wake/embedding.ts";
import { rng } from "../train-wake/augment.ts";
import { humanVoicesMissing } from "../train-wake/human.ts";
import { removeEspeakScratch, synth } from "../train-wake/synth.ts";
import { commandData, scoreCommands, voiceSplit, type CommandScore, type Sample } from "../train-commands/data.ts";

export interface CommandsBench {
  threshold: number;
  rows: Array<{ set: string } & CommandScore>;
  rtf: number;
}

export async function commandsBench(): Promise<CommandsBench> {
  const missing = humanVoicesMissing();
  if (missing) throw new Error(missing);
  // SPA_BENCH_COMMAND_MODEL: score another model (e.g. one trained for a hotel's own catalogue phrasings).
  const model = loadCommandModel(process.env.SPA_BENCH_COMMAND_MODEL || undefined);
  const catalogue = loadCatalogue();
  const embedder = await SpeechEmbedder.load();
  // Another seed than training's: other takes, other noise.
  const { says } = commandData(catalogue, embedder, rng(4242));
  const held = voiceSplit(false).heldOut;
  const rows: CommandsBench["rows"] = [];
  for (const [name, cond] of [
    ["quiet", "quiet"],
    ["10 dB", 10],
  ] as const) {
    const syn: Sample[] = [];
    for (const v of held) syn.push(...(await says({ kind: "espeak", variant: v }, "synthetic", { perCommand: 1, everyday: 12, nearMisses: 4 }, cond, "test")));
    rows.push({ set: `synthetic held-out voices (${held.length}), ${name}`, ...scoreCommands(model, syn) });
    const hum: Sample[] = [];
    for (let p = 0; p < 12; p++)
      hum.push(...(await says({ kind: "human", speaker: "3" }, "human", { perCommand: 1, everyday: 12, nearMisses: 4 }, cond, "test")));
    rows.push({ set: `human speaker 3 (never trained on; 12 made-up people), ${name}`, ...scoreCommands(model, hum) });
  }
  // Real-time factor: a 3 s session, framed as the sink does, front end and classifier.
  const speech = await synth("请帮我打扫房间", { lang: "cmn", variant: held[0]!, speed: 175, pitch: 50 });
  const session = new Int16Array(48000);
  session.set(speech.subarray(0, 48000 - 8000), 8000);
  recognise(model, await embedder.embedClip(framedForRecognition(session)));
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) recognise(model, await embedder.embedClip(framedForRecognition(session)));
  const rtf = (performance.now() - t0) / 5 / 1000 / 3;
  removeEspeakScratch();
  return { threshold: model.threshold, rows, rtf };
}
