/**
 * The Porcupine adapter: an injected engine class for the mapping, the real package for the
 * failure path (an invalid AccessKey, whose text Picovoice echoes: it must be redacted), and the
 * agent's fallback when Porcupine cannot start.
 */
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { isAgentError } from "../../../agent/errors.ts";
import { createLogger } from "../../../agent/log.ts";
import { createWakeEngine } from "../../../agent/main.ts";
import { ACCESS_KEY_ENV, PorcupineWakeEngine, readAccessKey, type PorcupineLike } from "../../../agent/wake/porcupine-engine.ts";
import { parseConfig } from "../../../config/load.ts";
import { tempDir } from "../../helpers/tmp.ts";

const P = suite("porcupine engine");
const KEY = "Zm9vYmFyLWZha2Uta2V5LTEyMzQ1Njc4OTA=";
const settings = {
  keywordPaths: { 天猫精灵: "/k/tianmao.ppn", 你好天猫: "/k/nihao.ppn" },
  modelPath: "/k/porcupine_params_zh.pv",
  sensitivity: 0.6,
  accessKeyFile: null,
};

P("keywords map in order; process() passes frames through; hits carry the keyword", async () => {
  const seen: unknown[] = [];
  let next = -1;
  const fake: PorcupineLike = { frameLength: 512, sampleRate: 16000, process: () => next, release: () => undefined };
  const engine = await PorcupineWakeEngine.create(settings, { [ACCESS_KEY_ENV]: KEY }, (k, kw, s, m) => {
    seen.push(k, kw, s, m);
    return fake;
  });
  assert.equal(seen, [KEY, ["/k/tianmao.ppn", "/k/nihao.ppn"], [0.6, 0.6], "/k/porcupine_params_zh.pv"]);
  assert.is(engine.frameLength, 512);
  assert.is(engine.process(new Int16Array(512), true), null);
  next = 1;
  assert.equal(engine.process(new Int16Array(512), true), { keyword: "你好天猫", score: 1 });
  engine.close();
});

P("the AccessKey comes from the environment or a key file, never from config", () => {
  const dir = tempDir();
  const file = join(dir.path, "key");
  writeFileSync(file, `  ${KEY}\n`);
  assert.is(readAccessKey({}, file), KEY);
  assert.is(readAccessKey({ [ACCESS_KEY_ENV]: "env-key" }, file), "env-key");
  try {
    readAccessKey({}, null);
    assert.unreachable();
  } catch (e) {
    assert.ok(isAgentError(e, "WAKE_ENGINE_UNAVAILABLE"));
    assert.match((e as Error).message, /SPA_PICOVOICE_ACCESS_KEY/);
  }
  dir.remove();
});

P("the real package with an invalid key fails closed, and the key never appears in the error", async () => {
  const require = createRequire(import.meta.url);
  const { getBuiltinKeywordPath, BuiltinKeyword } = require("@picovoice/porcupine-node") as {
    getBuiltinKeywordPath: (k: unknown) => string;
    BuiltinKeyword: Record<string, unknown>;
  };
  const ppn = getBuiltinKeywordPath(BuiltinKeyword.PORCUPINE);
  try {
    await PorcupineWakeEngine.create({ keywordPaths: { 天猫精灵: ppn }, modelPath: null, sensitivity: 0.5, accessKeyFile: null }, { [ACCESS_KEY_ENV]: KEY });
    assert.unreachable("an invalid key must not initialise");
  } catch (e) {
    assert.ok(isAgentError(e, "WAKE_ENGINE_UNAVAILABLE"), String(e));
    assert.not.match((e as Error).message, KEY);
    assert.match((e as Error).message, /\[redacted\]|AccessKey/);
  }
});

P("the agent falls back when Porcupine cannot start, says why, and logs no key", async () => {
  const lines: string[] = [];
  const logs: string[] = [];
  const config = parseConfig({ wake: { engine: "porcupine", fallback: "none", porcupine: { tianmaoJinglingPath: "/nonexistent.ppn" } } });
  const engine = await createWakeEngine(config, {
    out: (l) => lines.push(l),
    log: createLogger({ name: "t", level: "debug", sink: { write: (l) => logs.push(l) } }),
    env: { [ACCESS_KEY_ENV]: KEY },
  });
  assert.is(engine, null);
  assert.ok(
    lines.some((l) => /porcupine FAILED/.test(l)),
    lines.join("\n"),
  );
  assert.ok(lines.some((l) => /far-field listening is off/.test(l)));
  assert.not.ok(
    [...lines, ...logs].some((l) => l.includes(KEY)),
    "the AccessKey leaked",
  );
});

P.run();
