/** A recognisable raw signal and a scanner that looks for any trace of its bytes in files. */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeWav } from "../../agent/audio/wav.ts";

/** Seeded noise at speech-like level: any 16 consecutive samples of it are unique in practice. */
export function canarySignal(seconds: number, seed = 0x5eed): Int16Array {
  let s = seed >>> 0;
  return Int16Array.from({ length: Math.round(seconds * 16000) }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s >>> 16) % 16000) - 8000;
  });
}

export function writeCanaryWav(path: string, seconds: number): Int16Array {
  const s = canarySignal(seconds);
  writeFileSync(path, encodeWav(s));
  return s;
}

/** 32-byte probes taken every `step` samples of the signal. */
export function probes(signal: Int16Array, step = 997): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i + 16 <= signal.length; i += step) out.push(Buffer.from(signal.buffer, signal.byteOffset + i * 2, 32));
  return out;
}

/** Files under `root` (recursively; unreadable entries skipped) that contain any probe. */
export function scanFor(root: string, needles: Buffer[], skip: (path: string) => boolean = () => false): string[] {
  const hits: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (skip(p)) continue;
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size < 256 * 1024 * 1024) {
        let data: Buffer;
        try {
          data = readFileSync(p);
        } catch {
          continue;
        }
        if (needles.some((nd) => data.includes(nd))) hits.push(p);
      }
    }
  };
  walk(root);
  return hits;
}
