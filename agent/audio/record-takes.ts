/** Recording short takes from a microphone (wake-word enrollment). Takes stay in RAM. */
import { AgentError } from "../errors.ts";
import type { AudioSource } from "../ports/audio-source.ts";

/**
 * Records `count` takes of `seconds` each from a microphone, prompting before each. The takes
 * stay in RAM; the caller turns them into templates and zero-fills them.
 */
export async function recordTakes(mic: AudioSource, count: number, seconds: number, prompt: (take: number) => void): Promise<Int16Array[]> {
  const takes: Int16Array[] = [];
  for (let t = 0; t < count; t++) {
    prompt(t + 1);
    const need = Math.round(seconds * 16000);
    const buf = new Int16Array(need);
    let fill = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new AgentError("MIC_UNAVAILABLE", `no audio from the microphone for take ${t + 1}`)), seconds * 3000 + 5000);
        mic.onFrame((f) => {
          const n = Math.min(f.length, need - fill);
          if (n > 0) buf.set(f.subarray(0, n), fill);
          fill += n;
          f.fill(0);
          if (fill >= need) {
            clearTimeout(timer);
            resolve();
          }
        });
        mic.onError((e) => {
          clearTimeout(timer);
          reject(e);
        });
        mic.open().catch((e: unknown) => {
          clearTimeout(timer);
          reject(e);
        });
      });
    } finally {
      await mic.close();
    }
    takes.push(buf);
  }
  return takes;
}
