/**
 * Loads configuration with a fixed precedence: schema defaults < file < environment (SPA_*)
 * < CLI `--set path=value`. Every problem is reported at once, each naming its path and what is
 * allowed, as one CONFIG_INVALID error.
 */
import { readFileSync } from "node:fs";
import type { z } from "zod";
import { AgentError } from "../agent/errors.ts";
import { ConfigSchema, type Config } from "./schema.ts";
import { envName, leaves, objectShape, type Leaf } from "./walk.ts";

export interface LoadOptions {
  file?: string | null;
  env?: Record<string, string | undefined>;
  /** "path=value" pairs from the command line. */
  sets?: string[];
}

export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends AgentError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], source: string) {
    super("CONFIG_INVALID", `invalid configuration (${source}):\n` + problems.map((p) => `  ${p.path}: ${p.message}`).join("\n"));
    this.problems = problems;
  }
}

const LEAVES: Leaf[] = leaves(ConfigSchema);

/** Parses a string from env or CLI into the leaf's type; zod then checks range and kind. */
function coerce(leaf: Leaf, raw: string): unknown {
  if (leaf.kind === "string" || leaf.kind === "enum") return raw === "null" && leaf.nullable ? null : raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

function schemaAt(path: PropertyKey[]): z.ZodType | null {
  let cur: z.ZodType = ConfigSchema;
  for (const key of path) {
    const shape = objectShape(cur);
    const next = shape?.[String(key)];
    if (!next) return null;
    cur = next;
  }
  return cur;
}

export function formatIssues(issues: z.core.$ZodIssue[]): ConfigProblem[] {
  return issues.flatMap((issue) => {
    const at = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      const shape = objectShape(schemaAt(issue.path) ?? ConfigSchema);
      const allowed = shape ? Object.keys(shape).join(", ") : "";
      return issue.keys.map((k) => ({ path: at ? `${at}.${k}` : k, message: `unknown key (allowed here: ${allowed})` }));
    }
    const leaf = LEAVES.find((l) => l.path.join(".") === at);
    const hint = leaf ? ` (allowed: ${leaf.allowed})` : "";
    return [{ path: at || "(top level)", message: `${issue.message}${hint}` }];
  });
}

export function parseConfig(raw: unknown, source = "config"): Config {
  const r = ConfigSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues), source);
  return r.data;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  let raw: Record<string, unknown> = {};
  const sources: string[] = [];
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, "utf8");
    } catch (e) {
      throw new ConfigError([{ path: "(file)", message: `cannot read ${opts.file}: ${(e as Error).message}` }], opts.file);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("the top level must be a JSON object");
      raw = parsed as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError([{ path: "(file)", message: `${opts.file} is not valid JSON: ${(e as Error).message}` }], opts.file);
    }
    sources.push(opts.file);
  }
  const problems: ConfigProblem[] = [];
  const env = opts.env ?? {};
  for (const leaf of LEAVES) {
    const v = env[envName(leaf.path)];
    if (v !== undefined) {
      setPath(raw, leaf.path, coerce(leaf, v));
      sources.push(envName(leaf.path));
    }
  }
  const knownEnv = new Set(LEAVES.map((l) => envName(l.path)));
  for (const name of Object.keys(env)) {
    if (name.startsWith("SPA_") && !knownEnv.has(name) && !NON_CONFIG_ENV.has(name)) {
      problems.push({ path: name, message: "unknown SPA_ environment variable (see docs/configuration.md)" });
    }
  }
  for (const s of opts.sets ?? []) {
    const eq = s.indexOf("=");
    const path = eq > 0 ? s.slice(0, eq) : "";
    const leaf = LEAVES.find((l) => l.path.join(".") === path);
    if (!leaf) {
      problems.push({ path: path || s, message: `--set needs path=value with a known path, e.g. gate.ledAckMs=300` });
      continue;
    }
    setPath(raw, leaf.path, coerce(leaf, s.slice(eq + 1)));
  }
  const source = sources.length ? sources.join(" + ") : "defaults";
  const r = ConfigSchema.safeParse(raw);
  if (!r.success) problems.push(...formatIssues(r.error.issues));
  if (problems.length) throw new ConfigError(problems, source);
  return r.data!;
}

/** SPA_ variables that are not config paths (secrets read directly by adapters). */
const NON_CONFIG_ENV = new Set([
  "SPA_PICOVOICE_ACCESS_KEY",
  "SPA_CONFIG",
  "SPA_PROPERTY_RUNS",
  "SPA_TEST_TIMEOUT_MS",
  "SPA_TEST_JOBS",
  "SPA_BENCH_TRIALS",
  "SPA_BENCH_WAKE_SCALE",
  "SPA_BENCH_HOUSEHOLDS",
]);

export { LEAVES as configLeaves };
