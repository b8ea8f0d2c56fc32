/** Import boundaries: pure code stays pure, protocol and ports depend on nothing heavy. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}
function imports(file: string): string[] {
  const src = readFileSync(file, "utf8");
  return [...src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]!);
}

const Arch = suite("architecture");

Arch("the gate machine imports only errors, units and port types (no I/O, no clock, no libraries)", () => {
  for (const f of files("agent/capture").filter((f) => f.endsWith(".machine.ts"))) {
    for (const i of imports(f)) assert.ok(/^\.\.\/(errors|units)\.ts$|^\.\.\/ports\//.test(i), `${f} imports ${i}`);
  }
});

Arch("the gate driver does no I/O of its own: no node: modules, no adapters", () => {
  for (const f of files("agent/capture")) {
    for (const i of imports(f)) {
      assert.not.ok(i.startsWith("node:"), `${f} imports ${i}`);
      assert.not.ok(i.includes("adapters/"), `${f} imports ${i}`);
    }
  }
});

Arch("ports are interfaces only", () => {
  for (const f of files("agent/ports")) {
    const src = readFileSync(f, "utf8");
    for (const i of imports(f)) assert.not.ok(i.startsWith("node:"), `${f} imports ${i}`);
    assert.not.ok(/\bclass\s/.test(src), `${f} declares a class`);
  }
});

Arch("the bridge protocol depends only on itself and zod", () => {
  for (const f of files("firmware-bridge/protocol")) {
    for (const i of imports(f)) assert.ok(i === "zod" || i.startsWith("./"), `${f} imports ${i}`);
  }
});

Arch("config depends on nothing of the agent but its error type", () => {
  for (const f of files("config")) {
    for (const i of imports(f)) assert.ok(!i.startsWith("../agent/") || i === "../agent/errors.ts", `${f} imports ${i}`);
  }
});

Arch("runtime code never imports tests or scripts", () => {
  for (const f of [...files("agent"), ...files("firmware-bridge"), ...files("config")]) {
    for (const i of imports(f)) assert.not.ok(/(^|\/)(test|scripts)\//.test(i), `${f} imports ${i}`);
  }
});

Arch("only main.ts and adapters read the wall clock or start timers in agent/", () => {
  const allowed = /agent\/(main|cli(-[a-z]+)?|status|log)\.ts$|agent\/adapters\/|agent\/audio\//;
  for (const f of files("agent")) {
    if (allowed.test(f)) continue;
    const src = readFileSync(f, "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/\/\/.*$/gm, "");
    assert.not.ok(/Date\.now\(\)|new Date\(\)|setTimeout\(|setInterval\(|Math\.random\(/.test(src), `${f} reads time or randomness directly`);
  }
});

Arch("the voice modification is pure signal code: no I/O, no libraries, no clock", () => {
  for (const f of ["agent/privacy/lpc.ts", "agent/privacy/mcadams.ts"]) {
    for (const i of imports(f)) assert.ok(i.startsWith("./"), `${f} imports ${i}`);
  }
});

Arch("raw audio has no path to disk: only the ledger, the outbox and WAV tools write files (and the page's certificate maker, which handles no audio)", () => {
  const writers = /agent\/(ledger|upload\/outbox-uploader|cli|wake\/templates-file|page\/cert)\.?|agent\/ledger\//;
  for (const f of files("agent")) {
    if (writers.test(f)) continue;
    const src = readFileSync(f, "utf8");
    assert.not.ok(/\b(writeFileSync|writeFile|createWriteStream|appendFileSync)\b/.test(src), `${f} writes files`);
  }
});

Arch("the fleet logic reaches the broker only through the PolicyTransport port: mqtt.js only in its adapter and the operator tools", () => {
  for (const f of files("agent")) {
    if (f === "agent/adapters/mqtt-transport.ts" || f === "agent/cli-policy.ts") continue;
    for (const i of imports(f)) assert.not.ok(i === "mqtt", `${f} imports mqtt`);
  }
});

Arch("privacy/ is signal processing only: nothing of the ledger, uploads or the session pipeline (agent/session/)", () => {
  for (const f of files("agent/privacy")) {
    for (const i of imports(f)) assert.not.ok(/ledger\/|upload\/|session\/|^node:/.test(i), `${f} imports ${i}`);
  }
});

Arch("the retention rule is pure: no imports at all (the ledger adapter does the SQL and the clock)", () => {
  assert.equal(imports("agent/ledger/retention.ts"), []);
});

Arch("firmware message handlers are pure: they reach the agent only through their context (types, units, siblings)", () => {
  for (const f of files("agent/handlers")) {
    const src = readFileSync(f, "utf8");
    for (const m of src.matchAll(/^\s*import\s+(type\s)?[^;]*?from\s+"([^"]+)"/gms)) {
      const [, typeOnly, spec] = m;
      if (typeOnly) continue;
      assert.ok(/^\.\/[\w-]+\.ts$|^\.\.\/units\.ts$/.test(spec!), `${f} imports ${spec}`);
    }
  }
});

/** Modules a file loads when it is imported: static value imports, followed through our own files. */
function loadedBy(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(/^\s*(import|export)\s+(type\s)?[^;]*?from\s+"([^"]+)"/gms)) {
      if (m[2]) continue; // `import type`: erased, loads nothing
      const spec = m[3]!;
      if (spec.startsWith(".")) walk(join(dirname(file), spec));
      else seen.add(spec);
    }
  };
  walk(entry);
  return seen;
}

Arch("the spa entry and the bridge client load no heavy module before a command runs (spa --help and spa bridge start at once)", () => {
  const heavy = /^(zod|mqtt|onnxruntime-node|@picovoice\/|node:sqlite|@echogarden\/)|agent\/main\.ts$/;
  for (const entry of ["agent/cli.ts", "firmware-bridge/client.ts"]) {
    const loaded = [...loadedBy(entry)];
    assert.ok(loaded.length > 3, `${entry}: the walk found its imports`);
    for (const m of loaded) assert.not.ok(heavy.test(m), `${entry} loads ${m} at start`);
  }
  // The walk itself sees heavy modules where they are (so the test above can fail).
  assert.ok([...loadedBy("agent/main.ts")].some((m) => m === "zod" || m.endsWith("config/schema.ts") || m === "mqtt"));
});

Arch("the agent runs without an inference runtime: onnxruntime-node (a development dependency) is loaded only by the training and test front end", () => {
  for (const f of [...files("agent"), ...files("firmware-bridge"), ...files("config")]) {
    if (f === "agent/wake/embedding-onnx.ts") continue;
    for (const m of loadedBy(f)) assert.not.ok(m === "onnxruntime-node" || m.endsWith("embedding-onnx.ts"), `${f} loads ${m}`);
    const src = readFileSync(f, "utf8");
    assert.not.ok(/import\(\s*["'][^"']*(onnxruntime-node|embedding-onnx)/.test(src), `${f} imports the ONNX front end lazily`);
  }
  assert.ok(loadedBy("agent/wake/embedding-onnx.ts").has("onnxruntime-node"), "the walk sees the import where it is");
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  assert.ok(!pkg.dependencies["onnxruntime-node"] && pkg.devDependencies["onnxruntime-node"], "a development dependency");
});

Arch.run();
