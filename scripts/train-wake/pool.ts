/**
 * Scene building on every core: worker threads (build-worker.ts), each with its own embedder and
 * a few scenes in flight (synthesis runs in child processes meanwhile). Results come back in the
 * order of the specs.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Scene, SceneSpec } from "./dataset.ts";
import { removeEspeakScratch } from "./synth.ts";

type Reply =
  | { ready: true }
  | { id: number; scene: Scene }
  | { id: number; error: string }
  | { closed: true; hits: number; misses: number; human: { syllables: number; fallbacks: number; missing: number } };

export class ScenePool {
  hits = 0;
  misses = 0;
  human = { syllables: 0, fallbacks: 0, missing: 0 };
  private readonly workers: Worker[];
  private constructor(workers: Worker[]) {
    this.workers = workers;
  }

  static async start(cacheDir: string | null, threads = availableParallelism()): Promise<ScenePool> {
    const workers = await Promise.all(
      Array.from({ length: Math.max(1, threads) }, () => {
        const w = new Worker(new URL("./build-worker.mjs", import.meta.url), { workerData: { cacheDir } });
        return new Promise<Worker>((resolve, reject) => {
          w.once("error", reject);
          w.once("message", () => resolve(w));
        });
      }),
    );
    return new ScenePool(workers);
  }

  /** Builds (or reads from the cache) every spec's scene; `progress` every 100 scenes. */
  build(specs: readonly SceneSpec[], babbleTexts: readonly string[], progress?: (done: number) => void, perWorker = 3): Promise<Scene[]> {
    const out: Scene[] = new Array(specs.length);
    let next = 0;
    let done = 0;
    return new Promise((resolve, reject) => {
      if (specs.length === 0) return resolve(out);
      let failed = false;
      const cleanups: Array<() => void> = [];
      const finish = (e?: Error): void => {
        cleanups.forEach((c) => c());
        if (e) reject(e);
        else resolve(out);
      };
      for (const w of this.workers) {
        const send = (): void => {
          if (next < specs.length) {
            const id = next++;
            w.postMessage({ id, spec: specs[id], babbleTexts });
          }
        };
        const onMessage = (m: Reply): void => {
          if (failed || !("id" in m)) return;
          if ("error" in m) {
            failed = true;
            return finish(new Error(`scene ${m.id} (${specs[m.id]!.kind} "${specs[m.id]!.text.slice(0, 40)}"): ${m.error}`));
          }
          out[m.id] = m.scene;
          if (++done % 100 === 0) progress?.(done);
          if (done === specs.length) return finish();
          send();
        };
        const onError = (e: Error): void => {
          if (!failed) ((failed = true), finish(e));
        };
        w.on("message", onMessage);
        w.on("error", onError);
        cleanups.push(() => {
          w.off("message", onMessage);
          w.off("error", onError);
        });
        for (let k = 0; k < perWorker; k++) send();
      }
    });
  }

  /** Stops the workers and adds up their cache and human-syllable counts. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.on("message", (m: Reply) => {
              if (!("closed" in m)) return;
              this.hits += m.hits;
              this.misses += m.misses;
              for (const k of ["syllables", "fallbacks", "missing"] as const) this.human[k] += m.human[k];
              void w.terminate().then(() => resolve());
            });
            w.postMessage({ close: true });
          }),
      ),
    );
    removeEspeakScratch();
  }
}
