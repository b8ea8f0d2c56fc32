/** Configuration: every field validated with a message naming it; shipped configs are valid. */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ConfigError, configLeaves, loadConfig } from "../../config/load.ts";
import { envName } from "../../config/walk.ts";
import { brokerUrlProblem } from "../../config/broker-url.ts";
import { configTable, SECTION } from "../../scripts/gen-config-docs.ts";
import { readSection } from "../../scripts/doc-section.ts";
import { tempDir } from "../helpers/tmp.ts";

const C = suite("configuration");

const problemsOf = (fn: () => unknown): Array<{ path: string; message: string }> => {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ConfigError);
    return (e as ConfigError).problems;
  }
  assert.unreachable("expected a configuration error");
  return [];
};

for (const file of ["config/default.json", "config/device.example.json"]) {
  C(`${file} is valid`, () => {
    const c = loadConfig({ file });
    assert.ok(c.bridge.socketPath.length > 0);
  });
}

C("device.example.json describes a real speaker", () => {
  const c = loadConfig({ file: "config/device.example.json" });
  assert.is(c.audio.source, "mic");
  assert.is(c.audio.recorder, "arecord");
  assert.ok(c.audio.device);
  assert.match(c.bridge.socketPath, /^\/run\//);
  assert.match(c.dataDir, /^\/var\/lib\//);
  assert.not.ok(c.simulator.enabled);
});

/** A value of the wrong kind or out of range for each leaf. */
function badValueFor(kind: string): unknown[] {
  switch (kind) {
    case "number":
      return ["12", -99999, 1e9, 1.5];
    case "boolean":
      return ["yes", 1];
    case "enum":
      return ["bogus", 3];
    case "string":
      return [42, ""];
    default:
      return [{}];
  }
}

for (const leaf of configLeaves) {
  const path = leaf.path.join(".");
  C(`an invalid ${path} is refused with a message naming it`, () => {
    for (const bad of badValueFor(leaf.kind)) {
      const raw: Record<string, unknown> = {};
      let cur = raw;
      for (const k of leaf.path.slice(0, -1)) cur = (cur[k] = {}) as Record<string, unknown>;
      cur[leaf.path.at(-1)!] = bad;
      const dir = tempDir();
      const file = join(dir.path, "c.json");
      writeFileSync(file, JSON.stringify(raw));
      const problems = problemsOf(() => loadConfig({ file }));
      dir.remove();
      assert.ok(
        problems.some((p) => p.path === path),
        `${JSON.stringify(bad)} for ${path}: ${JSON.stringify(problems)}`,
      );
      assert.ok(problems.every((p) => p.message.length > 5));
    }
  });
}

C("unknown keys at any depth are errors with the allowed keys listed", () => {
  const dir = tempDir();
  const file = join(dir.path, "c.json");
  writeFileSync(file, JSON.stringify({ gate: { ledAckMS: 300 }, colour: "red" }));
  const problems = problemsOf(() => loadConfig({ file }));
  dir.remove();
  const gate = problems.find((p) => p.path === "gate.ledAckMS");
  assert.ok(gate, JSON.stringify(problems));
  assert.match(gate.message, /ledAckMs/);
  assert.ok(problems.some((p) => p.path === "colour"));
});

C("precedence: defaults < file < environment < --set", () => {
  const dir = tempDir();
  const file = join(dir.path, "c.json");
  writeFileSync(file, JSON.stringify({ gate: { ledAckMs: 400, retryMs: 500 }, mode: "near" }));
  const c = loadConfig({ file, env: { SPA_GATE_LED_ACK_MS: "600", SPA_MODE: "far" }, sets: ["gate.ledAckMs=700"] });
  dir.remove();
  assert.is(c.gate.ledAckMs, 700);
  assert.is(c.gate.retryMs, 500);
  assert.is(c.mode, "far");
  assert.is(c.gate.maxHoldSeconds, 60);
});

C("environment names come from the schema paths", () => {
  assert.is(envName(["bridge", "evdev", "muteKey"]), "SPA_BRIDGE_EVDEV_MUTE_KEY");
  const c = loadConfig({ env: { SPA_BRIDGE_EVDEV_MUTE_KEY: "113", SPA_AUDIO_DEVICE: "null" } });
  assert.is(c.bridge.evdev.muteKey, 113);
  assert.is(c.audio.device, null);
});

C("a misspelt SPA_ variable and a bad --set path are errors, not silently ignored", () => {
  const problems = problemsOf(() => loadConfig({ env: { SPA_GATE_LEDACK: "1" }, sets: ["gate.nope=1"] }));
  assert.ok(problems.some((p) => p.path === "SPA_GATE_LEDACK"));
  assert.ok(problems.some((p) => p.path === "gate.nope"));
});

C("the fleet broker: mqtts:// anywhere, clear-text mqtt:// or ws:// only to a loopback broker (FLT-02)", () => {
  for (const [url, ok] of [
    ["mqtts://broker.example:8883", true],
    ["wss://broker.example/mqtt", true],
    ["mqtt://127.0.0.1:1883", true],
    ["mqtt://127.8.0.1", true],
    ["mqtt://localhost:1883", true],
    ["mqtt://[::1]:1883", true],
    ["mqtt://user@localhost", true],
    ["mqtt://broker.example:1883", false],
    ["mqtt://192.168.1.10", false],
    ["ws://broker.example/mqtt", false],
    ["mqtt://127.0.0.1.evil.example", false],
    ["mqtt://localhost@broker.example", false],
    ["mqtt://[2001:db8::1]:1883", false],
    ["http://broker.example", false],
  ] as const) {
    assert.is(brokerUrlProblem(url) === null, ok, url);
  }
  const problems = problemsOf(() => loadConfig({ sets: ["policy.mqtt.url=mqtt://broker.example:1883"] }));
  assert.equal(
    problems.map((p) => p.path),
    ["policy.mqtt.url"],
  );
  assert.match(problems[0]!.message, /clear text: use mqtts:\/\/broker\.example:1883/);
});

C("a file that is not JSON is named in the error", () => {
  const dir = tempDir();
  const file = join(dir.path, "c.json");
  writeFileSync(file, "{ mode: far ");
  const problems = problemsOf(() => loadConfig({ file }));
  dir.remove();
  assert.match(problems[0]!.message, /not valid JSON/);
});

C("spa config check: prints the resolved config, or each problem with exit 1", () => {
  const ok = spawnSync(process.execPath, ["bin/spa.mjs", "config", "check", "config/device.example.json"], { encoding: "utf8" });
  assert.is(ok.status, 0, ok.stderr);
  assert.is(JSON.parse(ok.stdout).bridge.evdev.muteKey, 248);
  const dir = tempDir();
  const file = join(dir.path, "bad.json");
  writeFileSync(file, JSON.stringify({ gate: { ledAckMs: 1 }, audio: { recorder: "parecord" } }));
  const bad = spawnSync(process.execPath, ["bin/spa.mjs", "config", "check", file], { encoding: "utf8" });
  dir.remove();
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /gate\.ledAckMs/);
  assert.match(bad.stderr, /audio\.recorder/);
  assert.is(bad.stdout, "");
});

C("docs/configuration.md's reference is the one generated from the schema (npm run config:docs -- --write)", () => {
  assert.fixture(readSection(SECTION), configTable().trim());
});

C.run();
