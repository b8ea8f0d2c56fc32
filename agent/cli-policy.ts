/**
 * Operator tools: spa policy keygen | sign | push, and spa fleet status. They share the device's
 * policy schema and signing code, so what an operator signs is what a speaker checks.
 */
import { POLICY_HELP } from "./cli-help.ts";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import mqtt, { type MqttClient } from "mqtt";
import { AgentError, toError } from "./errors.ts";
import { canonicalJson } from "./ledger/audit.ts";
import { EnvelopeSchema, PolicySchema } from "./policy/schema.ts";
import { mqttOptions, topics } from "./policy/service.ts";
import { generateKeys, signEnvelope } from "./policy/trust.ts";
import { makeDirs } from "./fs-dirs.ts";


function usage(message: string): never {
  throw new AgentError("USAGE", message);
}

const CONN = {
  broker: { type: "string" },
  ca: { type: "string" },
  username: { type: "string" },
  "password-file": { type: "string" },
  cert: { type: "string" },
  "key-file": { type: "string" },
  prefix: { type: "string" },
  "mqtt-version": { type: "string" },
} as const;

async function connect(v: Record<string, unknown>): Promise<MqttClient> {
  const url = v.broker as string | undefined;
  if (!url || !/^mqtts?:\/\//.test(url)) usage("--broker needs an mqtt:// or mqtts:// URL");
  const ver = v["mqtt-version"] === undefined ? 5 : Number(v["mqtt-version"]);
  if (ver !== 5 && ver !== 4) usage("--mqtt-version must be 5 or 4");
  for (const f of ["ca", "password-file", "cert", "key-file"]) if (v[f] !== undefined && !existsSync(v[f] as string)) usage(`--${f}: ${v[f]} does not exist`);
  const opts = mqttOptions({
    protocolVersion: ver,
    caFile: (v.ca as string) ?? null,
    username: (v.username as string) ?? null,
    passwordFile: (v["password-file"] as string) ?? null,
    certFile: (v.cert as string) ?? null,
    keyFile: (v["key-file"] as string) ?? null,
  });
  const c = mqtt.connect(url, { ...opts, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    c.once("connect", () => resolve());
    c.once("error", (e) => reject(new AgentError("USAGE", `cannot connect to ${url}: ${toError(e).message}`)));
    c.once("close", () => reject(new AgentError("USAGE", `cannot connect to ${url}: connection closed`)));
  });
  return c;
}

const prefixOf = (v: Record<string, unknown>): string => {
  const p = (v.prefix as string | undefined) ?? "spa/v1";
  if (!/^[A-Za-z0-9_/-]{1,64}$/.test(p)) usage("--prefix: letters, digits, _, - and /");
  return p;
};

export { POLICY_HELP };

export async function cmdPolicy(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...CONN, out: { type: "string" }, key: { type: "string" }, version: { type: "string" }, "issued-at": { type: "string" }, fleet: { type: "string" }, device: { type: "string" }, help: { type: "boolean" } },
    allowPositionals: true,
    strict: true,
  });
  const [sub, ...args] = positionals;
  if (values.help || !sub) {
    out(POLICY_HELP.policy! + "\n");
    return 0;
  }
  if (sub === "keygen") {
    if (!values.out || args.length) usage("'spa policy keygen' needs --out DIR");
    const k = generateKeys();
    makeDirs(values.out, 0o700);
    const priv = join(values.out, "policy-key.pem");
    if (existsSync(priv)) usage(`${priv} exists; refusing to overwrite a key`);
    writeFileSync(priv, k.privatePem, { mode: 0o600 });
    writeFileSync(join(values.out, "policy-key.pub.pem"), k.publicPem);
    out(`key id ${k.keyId}\nprivate key: ${priv} (keep it off the devices)\npublic key:  ${join(values.out, "policy-key.pub.pem")}\ndevice config: "policy": {"trustedKeys": [{"keyId": "${k.keyId}", "publicKeyFile": "<path>/policy-key.pub.pem"}]}\n`);
    return 0;
  }
  if (sub === "sign") {
    if (!values.key || !existsSync(values.key)) usage("'spa policy sign' needs --key PRIVATE.pem (from 'spa policy keygen')");
    if (!values.version || !/^\d+$/.test(values.version) || Number(values.version) < 1) usage("--version must be a positive integer, above every version pushed before");
    if (args.length !== 1 || !existsSync(args[0]!)) usage("'spa policy sign' needs one POLICY.json file");
    let policy: unknown;
    try {
      policy = JSON.parse(readFileSync(args[0]!, "utf8"));
    } catch (e) {
      usage(`${args[0]}: not JSON (${toError(e).message})`);
    }
    const p = PolicySchema.safeParse(policy);
    if (!p.success) usage(`${args[0]}: ${p.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ")}`);
    const issuedAt = values["issued-at"] ?? new Date().toISOString();
    if (Number.isNaN(Date.parse(issuedAt))) usage("--issued-at must be an ISO date-time");
    let env;
    try {
      env = signEnvelope(readFileSync(values.key, "utf8"), { policy: policy as Record<string, unknown>, version: Number(values.version), issuedAt });
    } catch (e) {
      usage(`--key ${values.key}: ${toError(e).message}`);
    }
    out(JSON.stringify(env) + "\n");
    return 0;
  }
  if (sub === "push") {
    if (args.length !== 1 || !existsSync(args[0]!)) usage("'spa policy push' needs one ENVELOPE.json file");
    if (!!values.fleet === !!values.device) usage("'spa policy push' needs exactly one of --fleet F or --device ID");
    const name = (values.fleet ?? values.device)!;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) usage("fleet and device names: 1-64 letters, digits, _ or -");
    const text = readFileSync(args[0]!, "utf8");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      usage(`${args[0]}: not JSON`);
    }
    const env = EnvelopeSchema.safeParse(parsed);
    if (!env.success) usage(`${args[0]}: not a signed envelope (${env.error.issues[0]?.path.join(".")}: ${env.error.issues[0]?.message}); make one with 'spa policy sign'`);
    const prefix = prefixOf(values);
    const c = await connect(values);
    const t = values.fleet ? topics(prefix, values.fleet, "-").fleetPolicy : topics(prefix, "-", values.device!).devicePolicy;
    try {
      await c.publishAsync(t, canonicalJson(env.data), { qos: 1, retain: true });
    } finally {
      await c.endAsync();
    }
    out(`pushed version ${env.data.version} (retained) to ${t}\n`);
    return 0;
  }
  return usage(`unknown policy command '${sub}'; see 'spa policy --help'`);
}

export async function cmdFleet(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...CONN, fleet: { type: "string" }, wait: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } }, allowPositionals: true, strict: true });
  if (values.help || positionals.length === 0) {
    out(POLICY_HELP.fleet! + "\n");
    return 0;
  }
  if (positionals[0] !== "status" || positionals.length > 1) usage(`unknown fleet command '${positionals.join(" ")}'; see 'spa fleet --help'`);
  const wait = values.wait === undefined ? 1500 : Number(values.wait);
  if (!(wait >= 0 && wait <= 60_000)) usage("--wait must be 0-60000 ms");
  const prefix = prefixOf(values);
  const c = await connect(values);
  const devices = new Map<string, { online?: string; state?: Record<string, unknown> }>();
  c.on("message", (topic, payload) => {
    const m = new RegExp(`^${prefix.replace(/[/]/g, "\\/")}/device/([^/]+)/(state|online)$`).exec(topic);
    if (!m || payload.length === 0) return;
    const d = devices.get(m[1]!) ?? {};
    if (m[2] === "online") d.online = payload.toString();
    else {
      try {
        d.state = JSON.parse(payload.toString()) as Record<string, unknown>;
      } catch {
        /* not ours */
      }
    }
    devices.set(m[1]!, d);
  });
  await c.subscribeAsync([`${prefix}/device/+/state`, `${prefix}/device/+/online`], { qos: 1 });
  await new Promise((r) => setTimeout(r, wait));
  await c.endAsync();
  const rows = [...devices.entries()].filter(([, d]) => !values.fleet || d.state?.fleet === values.fleet).sort(([a], [b]) => a.localeCompare(b));
  if (values.json) {
    for (const [id, d] of rows) out(JSON.stringify({ device: id, online: d.online ?? null, ...(d.state ?? {}) }) + "\n");
    return 0;
  }
  const head = ["device", "online", "version", "status", "last rejection", "kept", "oldest (d)", "purged", "false wakes"];
  const table = rows.map(([id, d]) => {
    const s = d.state ?? {};
    const comp = (s.compliance ?? {}) as Record<string, unknown>;
    const rej = s.lastRejection as { code: string; version: number | null } | null | undefined;
    return [id, d.online ?? "?", String(s.appliedVersion ?? "?"), String(s.status ?? "?"), rej ? `${rej.code} (v${rej.version ?? "?"})` : "-", String(comp.capturesKept ?? "?"), String(comp.oldestKeptDays ?? "-"), String(comp.purged ?? "?"), String(comp.falseWakes ?? "?")];
  });
  const w = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  out(head.map((h, i) => h.padEnd(w[i]!)).join("  ") + "\n");
  for (const r of table) out(r.map((x, i) => x.padEnd(w[i]!)).join("  ") + "\n");
  out(`${rows.length} devices\n`);
  return 0;
}
