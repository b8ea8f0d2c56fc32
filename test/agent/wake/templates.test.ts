/** Personal templates: DTW matching, enrollment checks, template engine, second stage. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { encodeWav } from "../../../agent/audio/wav.ts";
import { createWebRtcVad } from "../../../agent/audio/webrtc-vad.ts";
import { isAgentError } from "../../../agent/errors.ts";
import { EmbeddingWakeEngine } from "../../../agent/wake/embedding-engine.ts";
import { SpeechEmbedder } from "../../../agent/wake/embedding.ts";
import { enrollKeyword, loadTemplates, saveTemplates, type Clip } from "../../../agent/wake/enroll.ts";
import { dtwTail, mergeTemplates } from "../../../agent/wake/templates.ts";
import { synth } from "../../../scripts/train-wake/synth.ts";
import { createFakeMic } from "../../helpers/fake-mic.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { scanFor } from "../../helpers/canary.ts";
import { openAgentDb } from "../../../agent/ledger/agent-db.ts";
import { Consents } from "../../../agent/ledger/consents.ts";
import { VoiceprintStore } from "../../../agent/ledger/voiceprints.ts";
import { ConsentRegistry } from "../../../agent/consent/registry.ts";
import { NOTICES } from "../../../agent/consent/features.ts";

const T = suite("wake templates");

/** espeak-ng speech (one voice: a household member) with 1 s of quiet before and 0.6 s after. */
async function say(text: string, speed: number, pitch = 40): Promise<Int16Array> {
  const s = await synth(text, { lang: "cmn", variant: "m4", speed, pitch });
  const out = new Int16Array(16000 + s.length + 9600);
  for (let i = 0; i < out.length; i++) out[i] = ((i * 31) % 9) - 4;
  out.set(s, 16000);
  return out;
}

let embedder: SpeechEmbedder;
const dir = tempDir();
T.before(async () => {
  embedder = await SpeechEmbedder.load();
});
T.after(async () => {
  await embedder.close();
  dir.remove();
});

T("DTW: a sequence matches itself at distance 0, also after unrelated frames (open beginning)", () => {
  const e = (v: number): Float32Array => Float32Array.from({ length: 96 }, (_, i) => Math.sin(v + i));
  const t = [e(1), e(2), e(3), e(4)];
  assert.ok(dtwTail(t, t) < 1e-9);
  assert.ok(dtwTail(t, [e(9), e(8), ...t]) < 1e-9);
  assert.ok(dtwTail(t, [e(9), e(8), e(7)]) > 0.05);
});

T("enroll → template engine wakes on a new take by the same voice, not on a near-miss", async () => {
  const vad = await createWebRtcVad(2);
  const clips: Clip[] = [];
  for (const sp of [150, 175, 200]) clips.push({ name: `take-${sp}`, samples: await say("天猫精灵", sp) });
  const kt = await enrollKeyword(embedder, vad, clips);
  vad.close();
  const file = saveTemplates(dir.path, "天猫精灵", kt);
  const saved = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  assert.equal(Object.keys(saved).sort(), ["format", "keywords"]);
  assert.equal(Object.keys((saved.keywords as Record<string, object>)["天猫精灵"]!).sort(), ["templates", "threshold"]);
  const t = loadTemplates(dir.path)!;
  const engine = await EmbeddingWakeEngine.template(t);
  const hits = await engine.detect(await say("天猫精灵", 185, 45));
  assert.is(hits.length, 1, JSON.stringify(hits));
  assert.is(hits[0]!.keyword, "天猫精灵");
  assert.equal(await engine.detect(await say("今天晚上吃什么", 170)), [], "ordinary speech");
  engine.close();
});

T("second stage: the trained engine's hit counts only if the household's templates agree", async () => {
  const t = loadTemplates(dir.path)!; // 天猫精灵 only
  const both = await EmbeddingWakeEngine.trained(undefined, t);
  const nihao = await say("你好天猫", 170);
  const plain = await EmbeddingWakeEngine.trained();
  assert.is((await plain.detect(nihao)).length, 1, "the trained engine alone wakes on 你好天猫");
  assert.equal(await both.detect(nihao), [], "vetoed: no 你好天猫 templates enrolled");
  assert.is((await both.detect(await say("天猫精灵", 185, 45))).length, 1, "agreed: 天猫精灵 matches its templates");
  // The household withdraws the voiceprint: from the next frame the trained stage decides alone.
  both.setTemplates(null);
  assert.is((await both.detect(nihao)).length, 1, "no voiceprint left: nothing to veto with");
  // Enrolled again (a merged set of two people keeps each one's threshold): the veto is back.
  both.setTemplates({ 天猫精灵: mergeTemplates([t["天猫精灵"]!, t["天猫精灵"]!]) });
  assert.equal(await both.detect(nihao), [], "vetoed again");
  assert.is((await both.detect(await say("天猫精灵", 185, 45))).length, 1, "a merged set still agrees");
  both.close();
  plain.close();
});

T("enrollment refuses bad clips with a clear reason", async () => {
  const vad = await createWebRtcVad(2);
  const good = await say("天猫精灵", 170);
  const cases: Array<[Clip[], RegExp]> = [
    [
      [
        { name: "a", samples: good },
        { name: "b", samples: good },
      ],
      /at least 3 clips/,
    ],
    [
      [
        { name: "silent.wav", samples: new Int16Array(16000 * 2) },
        { name: "b", samples: good },
        { name: "c", samples: good },
      ],
      /silent\.wav: no speech/,
    ],
    [
      [
        { name: "long.wav", samples: await say("我们周末去公园玩然后去超市买菜再回家做饭", 120) },
        { name: "b", samples: good },
        { name: "c", samples: good },
      ],
      /long\.wav: .* s of speech/,
    ],
  ];
  for (const [clips, why] of cases) {
    try {
      await enrollKeyword(embedder, vad, clips);
      assert.unreachable(String(why));
    } catch (e) {
      assert.ok(isAgentError(e, "ENROLL_REJECTED"), String(e));
      assert.match((e as Error).message, why);
    }
  }
  vad.close();
});

/** A data dir with a config pointing at it; `grant` records a person's voiceprint consent in its ledger. */
function household(d: string): { cfg: string; data: string; grant: (person: string) => void; withdraw: (person: string) => number } {
  const data = join(d, "data");
  const cfg = join(d, "config.json");
  writeFileSync(cfg, JSON.stringify({ dataDir: data, bridge: { socketPath: join(d, "no-agent.sock") } }));
  const registry = (db: ReturnType<typeof openAgentDb>, withdraw: (person: string) => number) =>
    new ConsentRegistry({
      store: new Consents(db),
      context: () => ({ operatorDefault: { uploads: false, training: false }, purposes: [] }),
      now: () => Date.now(),
      audit: () => undefined,
      withdraw: (e) => (e.kind === "delete-voiceprints" ? withdraw(e.person) : 0),
    });
  const withLedger = <T>(fn: (db: ReturnType<typeof openAgentDb>) => T): T => {
    const db = openAgentDb(join(data, "agent.db"));
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return {
    cfg,
    data,
    grant: (person) =>
      withLedger((db) => {
        const r = registry(db, () => 0).change({ feature: "voiceprint", person, grant: true, notice: NOTICES.voiceprint.key, by: "household", source: "test" });
        assert.ok(r.ok);
      }),
    withdraw: (person) =>
      withLedger((db) => {
        const store = new VoiceprintStore(db);
        const r = registry(db, (p) => store.deletePerson(p)).change({ feature: "voiceprint", person, grant: false, by: "household", source: "test" });
        return r.ok ? r.affected : -1;
      }),
  };
}

T(
  "spa wake enroll needs the person's consent, stores the voiceprint encrypted in the ledger, detect uses it; withdrawing deletes it irreversibly (canary)",
  async () => {
    const d = tempDir();
    const h = household(d.path);
    const files: string[] = [];
    for (const sp of [150, 175, 200]) {
      const f = join(d.path, `t${sp}.wav`);
      writeFileSync(f, encodeWav(await say("你好天猫", sp)));
      files.push(f);
    }
    const spa = (...args: string[]) =>
      spawnSync(process.execPath, ["bin/spa.mjs", "wake", ...args, "--config", h.cfg], { encoding: "utf8", env: { ...process.env, SPA_CONFIG: "" } });
    const refused = spa("enroll", "--keyword", "你好天猫", "--person", "妈妈", ...files);
    assert.is(refused.status, 1);
    assert.match(refused.stderr, /妈妈 has not consented to a voiceprint: spa consent grant voiceprint --person 妈妈/);
    h.grant("妈妈");
    const en = spa("enroll", "--keyword", "你好天猫", "--person", "妈妈", ...files);
    assert.is(en.status, 0, en.stderr);
    assert.match(en.stdout, /encrypted in the ledger \(speech features only, no audio\)/);
    assert.not.ok(existsSync(join(h.data, "wake-templates")), "no template file");
    // Canaries: bytes of the plaintext templates, and of the stored ciphertext.
    const db = openAgentDb(join(h.data, "agent.db"));
    const [set] = new VoiceprintStore(db).load();
    const t = set!.templates.templates[0]!;
    const plain = Buffer.from(t[2]!.buffer, t[2]!.byteOffset, 64);
    const cipher = (db.prepare("SELECT ciphertext FROM voiceprints").get() as { ciphertext: Buffer }).ciphertext.subarray(100, 164);
    db.close();
    assert.equal(scanFor(h.data, [plain]), [], "the templates are never stored in the clear");
    const probe = join(d.path, "probe.wav");
    writeFileSync(probe, encodeWav(await say("你好天猫", 180, 45)));
    const det = spa("detect", "--engine", "template", "--person", "妈妈", probe);
    assert.is(det.status, 0, det.stderr);
    assert.is(JSON.parse(det.stdout.trim()).keyword, "你好天猫");
    const bad = spa("enroll", "--keyword", "你好天猫", "--person", "妈妈", "test/fixtures/audio/speech-44k-stereo.wav");
    assert.is(bad.status, 1);
    // Withdrawal: the set is gone, and so are its bytes, from agent.db and its WAL.
    assert.is(h.withdraw("妈妈"), 1);
    assert.equal(scanFor(h.data, [cipher, plain]), [], "no byte of the voiceprint left");
    const after = spa("detect", "--engine", "template", probe);
    assert.is(after.status, 1);
    assert.match(after.stderr, /no voiceprint with consent in force/);
    d.remove();
  },
);

T("spa wake enroll --mic records three takes through the real arecord and enrolls them", async () => {
  // The phrase repeats every 2.5 s; a 5.5 s take holds a whole one even if the first 2 s of it
  // were backlog from before the recorder started (the FIFO drops what nobody reads).
  const phrase = await synth("天猫精灵", { lang: "cmn", variant: "m4", speed: 200, pitch: 40 });
  const loop = new Int16Array(Math.round(2.5 * 16000));
  for (let i = 0; i < loop.length; i++) loop[i] = ((i * 31) % 9) - 4;
  loop.set(phrase, 8000);
  const mic = createFakeMic();
  mic.feed(loop, { faithful: true });
  const h = household(mic.home);
  h.grant("爸爸");
  // Asynchronous: the fake microphone is fed from this process's event loop.
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(
      process.execPath,
      [
        "bin/spa.mjs",
        "wake",
        "enroll",
        "--mic",
        "--keyword",
        "天猫精灵",
        "--person",
        "爸爸",
        "--config",
        h.cfg,
        "--count",
        "3",
        "--seconds",
        "5.5",
        "--device",
        mic.device,
      ],
      { env: { ...mic.env, SPA_CONFIG: "" } },
    );
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (status) => resolve({ status, stdout, stderr }));
  });
  try {
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /take 1\/3/);
    assert.match(r.stdout, /take 3\/3/);
    const db = openAgentDb(join(h.data, "agent.db"));
    assert.equal(
      new VoiceprintStore(db).list().map((v) => [v.person, v.keyword, v.templates]),
      [["爸爸", "天猫精灵", 3]],
    );
    db.close();
  } finally {
    mic.stop();
  }
});

T.run();
