/**
 * The licensed Porcupine engine (@picovoice/porcupine-node) with Mandarin keyword files (.ppn,
 * from Picovoice Console) and the Mandarin model porcupine_params_zh.pv; neither ships in the
 * npm package, so their paths come from config. The AccessKey comes only from the environment
 * (SPA_PICOVOICE_ACCESS_KEY) or a key file named in config, never from the config itself, and
 * never reaches a log: Picovoice's own error messages quote the key, so they are redacted here.
 * The engine needs the network at init (and every few weeks); when init fails the agent falls
 * back to another engine or to push-to-talk only (agent/main.ts).
 */
import { readFileSync } from "node:fs";
import { AgentError, toError } from "../errors.ts";
import { registerSecret } from "../log.ts";
import type { Keyword, WakeEngine, WakeHit } from "../ports/wake-engine.ts";

/** The part of the Porcupine class the adapter uses (so tests can inject an engine). */
export interface PorcupineLike {
  readonly frameLength: number;
  readonly sampleRate: number;
  process(frame: Int16Array): number;
  release(): void;
}
export type PorcupineFactory = (accessKey: string, keywordPaths: string[], sensitivities: number[], modelPath: string | undefined) => PorcupineLike;

export interface PorcupineSettings {
  keywordPaths: Partial<Record<Keyword, string | null>>;
  modelPath: string | null;
  sensitivity: number;
  accessKeyFile: string | null;
}

export const ACCESS_KEY_ENV = "SPA_PICOVOICE_ACCESS_KEY";

export function readAccessKey(env: Record<string, string | undefined>, keyFile: string | null): string {
  const fromEnv = env[ACCESS_KEY_ENV]?.trim();
  if (fromEnv) return fromEnv;
  if (keyFile) {
    let key: string;
    try {
      key = readFileSync(keyFile, "utf8").trim();
    } catch (e) {
      throw new AgentError("WAKE_ENGINE_UNAVAILABLE", `cannot read the Picovoice AccessKey file ${keyFile}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
    }
    if (key) return key;
  }
  throw new AgentError("WAKE_ENGINE_UNAVAILABLE", `no Picovoice AccessKey: set ${ACCESS_KEY_ENV} or wake.porcupine.accessKeyFile`);
}

/** The real package, loaded only when this engine is chosen. */
async function realFactory(): Promise<PorcupineFactory> {
  const mod = (await import("@picovoice/porcupine-node")) as unknown as {
    Porcupine: new (k: string, kw: string[], s: number[], o?: { modelPath?: string }) => PorcupineLike;
  };
  return (key, kw, s, modelPath) => new mod.Porcupine(key, kw, s, modelPath ? { modelPath } : {});
}

export class PorcupineWakeEngine implements WakeEngine {
  readonly name = "porcupine";
  readonly frameLength: number;

  private readonly porcupine: PorcupineLike;
  private readonly keywords: Keyword[];
  private constructor(porcupine: PorcupineLike, keywords: Keyword[]) {
    this.porcupine = porcupine;
    this.keywords = keywords;
    this.frameLength = porcupine.frameLength;
  }

  static async create(s: PorcupineSettings, env: Record<string, string | undefined>, factory?: PorcupineFactory): Promise<PorcupineWakeEngine> {
    const keywords = (Object.entries(s.keywordPaths) as Array<[Keyword, string | null | undefined]>).filter(([, p]) => !!p);
    if (keywords.length === 0) throw new AgentError("WAKE_ENGINE_UNAVAILABLE", "porcupine: no keyword file configured (wake.porcupine.keywordPaths)");
    const key = readAccessKey(env, s.accessKeyFile);
    registerSecret(key);
    let p: PorcupineLike;
    try {
      p = (factory ?? (await realFactory()))(
        key,
        keywords.map(([, path]) => path!),
        keywords.map(() => s.sensitivity),
        s.modelPath ?? undefined,
      );
    } catch (e) {
      const msg = toError(e).message.split(key).join("[redacted]");
      throw new AgentError("WAKE_ENGINE_UNAVAILABLE", `porcupine failed to initialise: ${msg.replace(/\s+/g, " ").trim()}`);
    }
    if (p.sampleRate !== 16000) {
      p.release();
      throw new AgentError("WAKE_ENGINE_UNAVAILABLE", `porcupine expects ${p.sampleRate} Hz audio; the agent delivers 16000 Hz`);
    }
    return new PorcupineWakeEngine(
      p,
      keywords.map(([k]) => k),
    );
  }

  process(frame: Int16Array, _speech: boolean): WakeHit | null {
    const i = this.porcupine.process(frame);
    return i >= 0 ? { keyword: this.keywords[i]!, score: 1 } : null;
  }

  reset(): void {
    // Porcupine keeps no state a caller can clear; a missed partial phrase is harmless.
  }

  close(): void {
    this.porcupine.release();
  }
}
