/**
 * A disk cache of built scenes (their embeddings and labels, never audio) under
 * data/wake-cache/, so training experiments do not re-synthesise and re-embed thousands of
 * clips. The key covers the scene spec and the source of everything that makes a scene
 * (synthesis, augmentation, scene assembly, the front end), so a code change invalidates it.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SpeechFeatures } from "../../agent/wake/embedding.ts";
import { EMBED_DIM } from "../../agent/wake/embedding.ts";
import { buildScene, type Scene, type SceneSpec } from "./dataset.ts";

const SOURCES = [
  "./synth.ts",
  "./augment.ts",
  "./dataset.ts",
  "./human.ts",
  "./pinyin.ts",
  "../../agent/privacy/mcadams.ts",
  "../../agent/privacy/lpc.ts",
  "../../agent/audio/convert.ts",
  "../../agent/wake/embedding-onnx.ts",
  "../../agent/adapters/seeded-random.ts",
].map((p) => fileURLToPath(new URL(p, import.meta.url)));
const codeHash = createHash("sha256")
  .update(SOURCES.map((f) => readFileSync(f, "utf8")).join("\0"))
  .digest("hex")
  .slice(0, 16);

export class SceneCache {
  hits = 0;
  misses = 0;
  readonly dir: string | null;
  constructor(dir: string | null) {
    this.dir = dir;
    if (dir) mkdirSync(dir, { recursive: true });
  }

  async scene(spec: SceneSpec, embedder: SpeechFeatures, babbleTexts: readonly string[]): Promise<Scene> {
    if (!this.dir) return buildScene(spec, embedder, babbleTexts);
    const key = createHash("sha256").update(codeHash).update(JSON.stringify(spec)).update(JSON.stringify(babbleTexts)).digest("hex").slice(0, 32);
    const file = join(this.dir, `${key}.scene`);
    try {
      const buf = readFileSync(file);
      const metaLen = buf.readUInt32LE(0);
      const meta = JSON.parse(buf.subarray(4, 4 + metaLen).toString("utf8")) as Omit<Scene, "embeddings"> & { n: number };
      const embeddings: Float32Array[] = [];
      let off = 4 + metaLen;
      for (let i = 0; i < meta.n; i++, off += EMBED_DIM * 4) {
        const e = new Float32Array(EMBED_DIM);
        for (let d = 0; d < EMBED_DIM; d++) e[d] = buf.readFloatLE(off + d * 4);
        embeddings.push(e);
      }
      const { n: _n, ...rest } = meta;
      this.hits++;
      return { ...rest, embeddings };
    } catch {
      /* not cached yet */
    }
    const scene = await buildScene(spec, embedder, babbleTexts);
    const { embeddings, ...meta } = scene;
    const head = Buffer.from(JSON.stringify({ ...meta, n: embeddings.length }), "utf8");
    const out = Buffer.alloc(4 + head.length + embeddings.length * EMBED_DIM * 4);
    out.writeUInt32LE(head.length, 0);
    head.copy(out, 4);
    let off = 4 + head.length;
    for (const e of embeddings) for (let d = 0; d < EMBED_DIM; d++, off += 4) out.writeFloatLE(e[d]!, off);
    writeFileSync(file, out);
    this.misses++;
    return scene;
  }
}
