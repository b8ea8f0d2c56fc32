/**
 * `spa consent`: the household's choices, through the running agent (the same bridge messages the
 * firmware sends, so a withdrawal's effect happens in the agent at once). A grant is made against
 * a notice: without `--notice` the command shows the notice and records nothing.
 */
import { parseArgs } from "node:util";
import type { AckData, ConsentLine, NoticeText } from "../firmware-bridge/protocol/messages.ts";
import { BridgeClient, type Ack, type Nack } from "../firmware-bridge/client.ts";
import { AgentError } from "./errors.ts";

function usage(message: string): never {
  throw new AgentError("USAGE", message);
}

const when = (t: number | null): string => (t === null ? "" : new Date(t).toISOString().slice(0, 16).replace("T", " "));

export function consentTable(lines: ConsentLine[]): string {
  const rows = [
    ["feature", "person", "now", "by", "since", "notice"],
    ["voice-service", "", "on", "basic", "", ""],
    ...lines.map((l) => [l.feature, l.person ?? "", l.granted ? "on" : "off", l.by, when(l.since), l.notice ?? ""]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
  return `${table}\n(voice-service is the basic service: it needs no consent and cannot be withdrawn; to stop the speaker listening, mute it)\n`;
}

const noticeText = (n: NoticeText): string => `${n.zh}\n${n.en}\n`;

/** How these commands reach the running agent (as for 'spa bridge'), and --json. */
const AGENT_OPTIONS = {
  json: { type: "boolean", default: false },
  socket: { type: "string" },
  config: { type: "string" },
  timeout: { type: "string" },
} as const;

/** The bridge socket from --socket or --config (the CLI's rule for 'spa bridge'). */
export type SocketOf = (socket: string | undefined, config: string | undefined) => string;

/** The agent's answer to one request: a nack on stderr (exit 1), the data as JSON, or printed for a person. */
function settle(r: Ack | Nack, json: boolean, out: (s: string) => void, print: (data: unknown) => void): number {
  if (r.type === "nack") {
    process.stderr.write(`spa: ${r.message} (${r.code})\n`);
    return 1;
  }
  if (json) out(JSON.stringify(r.data) + "\n");
  else print(r.data);
  return 0;
}

/** One request to the running agent, settled. */
async function ask(
  socket: string,
  timeout: string | undefined,
  request: Record<string, unknown> & { type: string },
  json: boolean,
  out: (s: string) => void,
  print: (data: unknown) => void,
): Promise<number> {
  const client = await BridgeClient.connect(socket, Number(timeout ?? 5000));
  try {
    return settle(await client.request(request), json, out, print);
  } finally {
    client.close();
  }
}

export async function cmdConsent(argv: string[], socketOf: SocketOf, out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      notice: { type: "string" },
      person: { type: "string" },
      guardian: { type: "boolean", default: false },
      history: { type: "boolean", default: false },
      ...AGENT_OPTIONS,
    },
    allowPositionals: true,
    strict: true,
  });
  const [sub = "list", feature, ...extra] = positionals;
  if (extra.length) usage(`unexpected '${extra.join(" ")}'; see 'spa consent --help'`);
  if (!["list", "notice", "grant", "withdraw"].includes(sub)) usage(`unknown consent command '${sub}'; see 'spa consent --help'`);
  if (sub !== "list" && !feature) usage(`'spa consent ${sub}' needs a feature (uploads, training, voiceprint, diagnostics or purpose:<id>)`);
  const by = values.guardian ? "guardian" : "household";
  const client = await BridgeClient.connect(socketOf(values.socket, values.config), Number(values.timeout ?? 5000));
  try {
    const list = async (history: boolean): Promise<AckData["consents"]> => {
      const r = await client.request({ type: "consents", history });
      if (r.type !== "ack") throw new AgentError("USAGE", r.message);
      return r.data as AckData["consents"];
    };
    if (sub === "list") {
      const d = await list(values.history);
      if (values.json) out(JSON.stringify(d) + "\n");
      else {
        out(consentTable(d.consents));
        if (d.history) {
          out("\nhistory (oldest first):\n");
          for (const h of d.history)
            out(
              `${when(h.at)}  ${h.feature}${h.person ? ` (${h.person})` : ""}  ${h.granted ? "granted" : "withdrawn"}  by ${h.by} via ${h.source}${h.notice ? `  notice ${h.notice}` : ""}\n`,
            );
        }
      }
      return 0;
    }
    if (sub === "notice" || (sub === "grant" && !values.notice)) {
      const d = await list(false);
      const current =
        d.consents.find((l) => l.feature === feature)?.currentNotice ??
        (feature === "voiceprint" ? d.notices.find((n) => n.key.startsWith("consent.voiceprint."))?.key : undefined);
      const n = d.notices.find((x) => x.key === current);
      if (!n) usage(`no such feature: ${feature} (one of ${d.consents.map((l) => l.feature).join(", ")})`);
      out(`${n.key}\n${noticeText(n)}`);
      if (sub === "notice") return 0;
      out(
        `\nNothing recorded yet. To agree to this notice: spa consent grant ${feature}${values.person ? ` --person ${values.person}` : ""} --notice ${n.key}\n`,
      );
      return 1;
    }
    const request =
      sub === "grant"
        ? { type: "consent-grant", feature, notice: values.notice, by, ...(values.person ? { person: values.person } : {}) }
        : { type: "consent-withdraw", feature, by, ...(values.person ? { person: values.person } : {}) };
    return settle(await client.request(request), values.json, out, (data) => {
      if (sub === "grant") out(`${feature}${values.person ? ` (${values.person})` : ""}: on, by the ${by}, against ${values.notice}\n`);
      else {
        const d = data as AckData["consent-withdraw"];
        const stopped: Record<string, string> = {
          "cancel-queued-uploads": `${d.affected} queued uploads dropped (the captures stay on this speaker)`,
          "untrain-queued-uploads": `${d.affected} queued uploads now say do-not-train`,
          "delete-voiceprints": `${d.affected} voiceprint templates deleted (irreversibly)`,
          "delete-diagnostics": `${d.affected} diagnostics bundles deleted`,
          none: "nothing else was waiting on it",
        };
        out(`${feature}${values.person ? ` (${values.person})` : ""}: off, by the ${by}; ${stopped[d.stopped] ?? d.stopped}\n`);
        if (d.notice) out(noticeText(d.notice));
      }
    });
  } finally {
    client.close();
  }
}

/** `spa voiceprints [list] | rename FROM TO | delete PERSON`: the household's voiceprints, through the running agent. */
export async function cmdVoiceprints(argv: string[], socketOf: SocketOf, out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: AGENT_OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const [sub = "list", ...args] = positionals;
  const request =
    sub === "list" && args.length === 0
      ? { type: "voiceprints" }
      : sub === "rename" && args.length === 2
        ? { type: "voiceprint-rename", from: args[0], to: args[1] }
        : sub === "delete" && args.length === 1
          ? { type: "voiceprint-delete", person: args[0] }
          : usage("usage: spa voiceprints [list] | rename FROM TO | delete PERSON; see 'spa voiceprints --help'");
  return ask(socketOf(values.socket, values.config), values.timeout, request, values.json, out, (data) => {
    if (sub === "list") {
      const v = (data as AckData["voiceprints"]).voiceprints;
      if (v.length === 0) out("no voiceprints are kept on this speaker\n");
      for (const x of v)
        out(`${x.person}  ${x.keyword}  ${x.templates} takes  enrolled ${when(x.createdAt)}  ${x.consented ? "in use" : "NOT in use: no consent in force"}\n`);
    } else if (sub === "rename")
      out(`${args[0]} is now ${args[1]} (${(data as AckData["voiceprint-rename"]).renamed} voiceprint sets and the consent follow)\n`);
    else out(`deleted ${(data as AckData["voiceprint-delete"]).deleted} voiceprint sets of ${args[0]} (irreversibly)\n`);
  });
}

/** `spa page pair | sessions [revoke ID|all]`: the household page's pairing and sessions, through the running agent. */
export async function cmdPage(argv: string[], socketOf: SocketOf, out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: AGENT_OPTIONS, allowPositionals: true, strict: true });
  const [sub, ...args] = positionals;
  const target = args[1] === "all" ? "all" : Number(args[1]);
  const request =
    sub === "pair" && args.length === 0
      ? { type: "page-pair" }
      : sub === "sessions" && args.length === 0
        ? { type: "page-sessions" }
        : sub === "sessions" && args[0] === "revoke" && args.length === 2 && (target === "all" || (Number.isInteger(target) && target > 0))
          ? { type: "page-sessions", revoke: target }
          : usage("usage: spa page pair | sessions [revoke ID|all]; see 'spa page --help'");
  return ask(socketOf(values.socket, values.config), values.timeout, request, values.json, out, (data) => {
    if (sub === "pair") {
      const d = data as AckData["page-pair"];
      out(`pairing code: ${d.code} (valid ${Math.round(d.validSeconds / 60)} minutes; the speaker announces it too)\n`);
      out(`open on the phone: ${d.urls.join("  ")}\n`);
      if (d.fingerprint) out(`the page's certificate (SHA-256): ${d.fingerprint}\n`);
      return;
    }
    const d = data as AckData["page-sessions"];
    if (d.revoked !== undefined) out(`revoked ${d.revoked} session${d.revoked === 1 ? "" : "s"}\n`);
    if (d.sessions.length === 0) out("no phone is paired\n");
    for (const s of d.sessions) out(`#${s.id}  ${s.label}  paired ${when(s.createdAt)}  last used ${when(s.lastSeenAt)}\n`);
  });
}

/** `spa diagnostics prepare --fault F | confirm BUNDLE --fault F | report BUNDLE debug-complete|deleted | list`, through the running agent. */
export async function cmdDiagnostics(argv: string[], socketOf: SocketOf, out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { fault: { type: "string" }, ...AGENT_OPTIONS },
    allowPositionals: true,
    strict: true,
  });
  const [sub = "list", ...args] = positionals;
  const bundle = (): number => {
    const n = Number(args[0]);
    if (!Number.isInteger(n) || n < 1) usage(`'spa diagnostics ${sub}' needs a bundle number (see 'spa diagnostics list')`);
    return n;
  };
  const fault = (): string => values.fault ?? usage(`'spa diagnostics ${sub}' needs --fault ID`);
  const request =
    sub === "list" && args.length === 0
      ? { type: "diagnostics" }
      : sub === "prepare" && args.length === 0
        ? { type: "diagnostics-prepare", fault: fault() }
        : sub === "confirm" && args.length === 1
          ? { type: "diagnostics-confirm", bundle: bundle(), fault: fault() }
          : sub === "report" && args.length === 2 && (args[1] === "debug-complete" || args[1] === "deleted")
            ? { type: "diagnostics-report", bundle: bundle(), event: args[1] }
            : usage("usage: spa diagnostics prepare --fault F | confirm BUNDLE --fault F | report BUNDLE debug-complete|deleted | list");
  return ask(socketOf(values.socket, values.config), values.timeout, request, values.json, out, (data) => {
    if (sub === "prepare") {
      const d = data as AckData["diagnostics-prepare"];
      out(`bundle ${d.bundle} for fault ${d.fault} (${d.bytes} bytes), kept on this speaker until you confirm. It holds:\n`);
      for (const c of d.categories) out(`  - ${c}\n`);
      out(`Never audio, never what was said. To send it: spa diagnostics confirm ${d.bundle} --fault ${d.fault}\n`);
    } else if (sub === "confirm") out(`bundle ${args[0]}: sending; the copy on this speaker is deleted once it is delivered\n`);
    else if (sub === "report") out(`bundle ${args[0]}: ${(data as AckData["diagnostics-report"]).state}\n`);
    else {
      const list = (data as AckData["diagnostics"]).diagnostics;
      if (list.length === 0) out("no diagnostics bundles\n");
      for (const b of list)
        out(
          `${b.bundle}  fault ${b.fault}  ${b.state}  prepared ${when(b.preparedAt)}${b.sentAt ? `  sent ${when(b.sentAt)}` : ""}${b.debugCompleteAt ? `  debug complete ${when(b.debugCompleteAt)}` : ""}${b.deletedAt ? `  deleted ${when(b.deletedAt)}` : ""}${b.overdue ? "  DELETION OVERDUE" : ""}\n`,
        );
    }
  });
}
