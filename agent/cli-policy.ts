/**
 * Operator tools: spa policy keygen | sign | push, and spa fleet status. They share the device's
 * policy schema and signing code, so what an operator signs is what a speaker checks.
 */
import { POLICY_HELP } from "./cli-help.ts";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import mqtt, { type MqttClient } from "mqtt";
import { AgentError, toError } from "./errors.ts";
import { canonicalJson } from "./ledger/audit.ts";
import { EnvelopeSchema, PolicySchema } from "./policy/schema.ts";
import { DEFAULT_TOPIC_PREFIX, deviceTopic, DeviceStateSchema, OnlineSchema, topics, type DeviceState } from "./policy/topics.ts";
import { mqttOptions } from "./adapters/mqtt-transport.ts";
import { generateKeys, signEnvelope } from "./policy/trust.ts";
import { makeDirs } from "./fs-dirs.ts";
import { brokerUrlProblem } from "../config/broker-url.ts";

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
  if (!url) usage("--broker needs an mqtts:// URL");
  const problem = brokerUrlProblem(url);
  if (problem) usage(`--broker ${problem}`);
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
  const p = (v.prefix as string | undefined) ?? DEFAULT_TOPIC_PREFIX;
  if (!/^[A-Za-z0-9_/-]{1,64}$/.test(p)) usage("--prefix: letters, digits, _, - and /");
  return p;
};

export { POLICY_HELP };

export async function cmdPolicy(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...CONN,
      out: { type: "string" },
      key: { type: "string" },
      version: { type: "string" },
      "issued-at": { type: "string" },
      fleet: { type: "string" },
      device: { type: "string" },
      force: { type: "boolean" },
      seq: { type: "string" },
      help: { type: "boolean" },
    },
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
    out(
      `key id ${k.keyId}\nprivate key: ${priv} (keep it off the devices)\npublic key:  ${join(values.out, "policy-key.pub.pem")}\ndevice config: "policy": {"trustedKeys": [{"keyId": "${k.keyId}", "publicKeyFile": "<path>/policy-key.pub.pem"}]}\n`,
    );
    return 0;
  }
  if (sub === "sign") {
    if (!values.key) usage("'spa policy sign' needs --key PRIVATE.pem (from 'spa policy keygen')");
    if (!existsSync(values.key)) usage(`--key ${values.key} does not exist (the private key is DIR/policy-key.pem from 'spa policy keygen --out DIR')`);
    const keyPem = readFileSync(values.key, "utf8");
    if (/-----BEGIN PUBLIC KEY-----/.test(keyPem))
      usage(`--key ${values.key} is a public key; sign with the private one (policy-key.pem, beside policy-key.pub.pem)`);
    if (!values.version || !/^\d+$/.test(values.version) || Number(values.version) < 1)
      usage("--version must be a positive integer, above every version pushed before");
    if (args.length !== 1 || !existsSync(args[0]!)) usage("'spa policy sign' needs one POLICY.json file");
    let policy: unknown;
    try {
      policy = JSON.parse(readFileSync(args[0]!, "utf8"));
    } catch (e) {
      usage(`${args[0]}: not JSON (${toError(e).message})`);
    }
    const p = PolicySchema.safeParse(policy);
    if (!p.success) {
      const allowed = Object.keys(PolicySchema.shape).join(", ");
      usage(
        `${args[0]}: ${p.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}${i.code === "unrecognized_keys" && i.path.length === 0 ? ` (allowed: ${allowed}; see config/policy.schema.json)` : ""}`).join("; ")}`,
      );
    }
    const issuedAt = values["issued-at"] ?? new Date().toISOString();
    if (Number.isNaN(Date.parse(issuedAt))) usage("--issued-at must be an ISO date-time");
    let env;
    try {
      env = signEnvelope(keyPem, { policy: policy as Record<string, unknown>, version: Number(values.version), issuedAt });
    } catch {
      usage(`--key ${values.key} is not a PEM Ed25519 private key (make one with 'spa policy keygen --out DIR')`);
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
    if (!env.success)
      usage(`${args[0]}: not a signed envelope (${env.error.issues[0]?.path.join(".")}: ${env.error.issues[0]?.message}); make one with 'spa policy sign'`);
    const prefix = prefixOf(values);
    const c = await connect(values);
    const t = values.fleet ? topics(prefix, values.fleet, "-").fleetPolicy : topics(prefix, "-", values.device!).devicePolicy;
    try {
      // What the topic holds now: an older envelope must not replace a newer one without a word
      // (devices refuse the rollback, but a new device would get the older policy).
      let held: string | null;
      try {
        held = await retainedOn(c, t);
      } catch (e) {
        // Unknown is not "empty": without --force nothing is replaced blind.
        if (!values.force) throw new AgentError("USAGE", `${toError(e).message}; add --force to push without knowing what it replaces`);
        held = null;
      }
      const heldVersion = held === null ? null : (EnvelopeSchema.safeParse(safeJson(held)).data?.version ?? null);
      const same = held !== null && held === canonicalJson(env.data);
      if (same) {
        out(`${t} already holds this envelope (version ${env.data.version}); nothing to do\n`);
        return 0;
      }
      if (heldVersion !== null && heldVersion >= env.data.version && !values.force) {
        usage(
          `${t} holds version ${heldVersion}; pushing version ${env.data.version} would replace it with ${heldVersion === env.data.version ? "another envelope of the same version" : "an older one"} (devices refuse it, new devices would get it). Sign a newer version, or add --force to replace it anyway`,
        );
      }
      await c.publishAsync(t, canonicalJson(env.data), { qos: 1, retain: true });
      out(
        `pushed version ${env.data.version} (retained) to ${t}${heldVersion !== null ? `, replacing version ${heldVersion}${values.force && heldVersion >= env.data.version ? " (--force)" : ""}` : ""}\n`,
      );
    } finally {
      await c.endAsync();
    }
    return 0;
  }
  if (sub === "checkout") {
    if (args.length) usage("'spa policy checkout' takes no file");
    if (!values.key || !existsSync(values.key)) usage("'spa policy checkout' needs --key PRIVATE.pem (the operator's key)");
    if (!values.device || !/^[A-Za-z0-9_-]{1,64}$/.test(values.device)) usage("'spa policy checkout' needs --device ID (1-64 letters, digits, _ or -)");
    const seq = values.seq === undefined ? Date.now() : Number(values.seq);
    if (!Number.isSafeInteger(seq) || seq < 1) usage("--seq must be a positive integer");
    let env;
    try {
      env = signEnvelope(readFileSync(values.key, "utf8"), {
        policy: { command: "checkout", device: values.device },
        version: seq,
        issuedAt: new Date().toISOString(),
      });
    } catch {
      usage(`--key ${values.key} is not a PEM Ed25519 private key (make one with 'spa policy keygen --out DIR')`);
    }
    const c = await connect(values);
    const t = topics(prefixOf(values), "-", values.device).checkout;
    try {
      await c.publishAsync(t, canonicalJson(env), { qos: 1, retain: true });
    } finally {
      await c.endAsync();
    }
    out(`check-out ${seq} for ${values.device} pushed (retained) to ${t}; the speaker reports it as lastCheckout on its state topic\n`);
    return 0;
  }
  return usage(`unknown policy command '${sub}'; see 'spa policy --help'`);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * The retained message on `topic`, or null; throws if the broker cannot be read. No fixed wait
 * on mosquitto: it sends a subscription's retained messages before anything published after the
 * SUBSCRIBE, so once a probe this client publishes to its own unique topic comes back, whatever
 * was retained has arrived. Brokers that deliver retained messages asynchronously get `graceMs`
 * more; a probe that never comes back (an ACL that drops it) ends after `timeoutMs`.
 */
export async function retainedOn(c: MqttClient, topic: string, o: { timeoutMs?: number; graceMs?: number } = {}): Promise<string | null> {
  const probe = `${topic}/probe-${randomBytes(6).toString("hex")}`;
  let held: string | null = null;
  let onMessage: (t: string, payload: Buffer) => void = () => undefined;
  const probed = new Promise<boolean>((resolve) => {
    onMessage = (t, payload) => {
      if (t === topic && payload.length > 0) held = payload.toString();
      if (t === probe) resolve(true);
    };
  });
  c.on("message", onMessage);
  let timer: NodeJS.Timeout | undefined;
  try {
    await c.subscribeAsync([topic, probe], { qos: 1 });
    await c.publishAsync(probe, "probe", { qos: 1 });
    const echoed = await Promise.race([probed, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), o.timeoutMs ?? 5000)))]);
    if (!echoed)
      throw new AgentError(
        "USAGE",
        `could not read what ${topic} holds: the broker did not deliver this client's probe within ${o.timeoutMs ?? 5000} ms (an ACL?)`,
      );
    if (held === null && (o.graceMs ?? 250) > 0) await new Promise((r) => setTimeout(r, o.graceMs ?? 250));
    await c.unsubscribeAsync([topic, probe]);
  } finally {
    clearTimeout(timer);
    c.removeListener("message", onMessage);
  }
  return held;
}

export async function cmdFleet(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...CONN, fleet: { type: "string" }, wait: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help || positionals.length === 0) {
    out(POLICY_HELP.fleet! + "\n");
    return 0;
  }
  if (positionals[0] !== "status" || positionals.length > 1) usage(`unknown fleet command '${positionals.join(" ")}'; see 'spa fleet --help'`);
  const wait = values.wait === undefined ? 1500 : Number(values.wait);
  if (!(wait >= 0 && wait <= 60_000)) usage("--wait must be 0-60000 ms");
  const prefix = prefixOf(values);
  const c = await connect(values);
  // Each device's retained reports, checked against the topic catalogue (policy/topics.ts): a
  // state that does not match is shown as such, never half-read.
  const devices = new Map<string, { online?: string; state?: DeviceState; invalid?: boolean }>();
  c.on("message", (topic, payload) => {
    const t = deviceTopic(prefix, topic);
    if (!t || payload.length === 0) return;
    const d = devices.get(t.device) ?? {};
    if (t.kind === "online") d.online = OnlineSchema.safeParse(payload.toString()).data ?? "?";
    else {
      let json: unknown = null;
      try {
        json = JSON.parse(payload.toString());
      } catch {
        /* reported as invalid below */
      }
      const r = DeviceStateSchema.safeParse(json);
      if (r.success) d.state = r.data;
      else d.invalid = true;
    }
    devices.set(t.device, d);
  });
  await c.subscribeAsync([`${prefix}/device/+/state`, `${prefix}/device/+/online`], { qos: 1 });
  await new Promise((r) => setTimeout(r, wait));
  await c.endAsync();
  const rows = [...devices.entries()].filter(([, d]) => !values.fleet || d.state?.fleet === values.fleet).sort(([a], [b]) => a.localeCompare(b));
  if (values.json) {
    for (const [id, d] of rows)
      out(JSON.stringify({ device: id, online: d.online ?? null, ...(d.invalid ? { invalidState: true } : {}), ...(d.state ?? {}) }) + "\n");
    return 0;
  }
  const head = ["device", "online", "version", "status", "last rejection", "kept", "oldest (d)", "purged", "false wakes"];
  const table = rows.map(([id, d]) => {
    const s = d.state;
    const rej = s?.lastRejection;
    return [
      id,
      d.online ?? "?",
      s ? String(s.appliedVersion) : "?",
      s ? s.status : d.invalid ? "INVALID STATE" : "?",
      rej ? `${rej.code} (v${rej.version ?? "?"})` : "-",
      s ? String(s.compliance.capturesKept) : "?",
      s?.compliance.oldestKeptDays != null ? String(s.compliance.oldestKeptDays) : "-",
      s ? String(s.compliance.purged) : "?",
      s ? String(s.compliance.falseWakes) : "?",
    ];
  });
  const w = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  out(head.map((h, i) => h.padEnd(w[i]!)).join("  ") + "\n");
  for (const r of table) out(r.map((x, i) => x.padEnd(w[i]!)).join("  ") + "\n");
  out(`${rows.length} devices\n`);
  return 0;
}
