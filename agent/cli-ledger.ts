/**
 * The household's commands over the ledger: history, play, delete, export, wipe, audit.
 * Each opens data/agent.db through the same Ledger the agent uses (so every action writes its
 * audit event and removes every copy), purging what has expired before showing anything.
 */
import type { AckData } from "../firmware-bridge/protocol/messages.ts";
import { LEDGER_HELP } from "./cli-help.ts";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Config } from "../config/schema.ts";
import { BridgeClient } from "../firmware-bridge/client.ts";
import { SystemClock } from "./adapters/system-clock.ts";
import { AgentError } from "./errors.ts";
import { asLedgerError, openAgentDb } from "./ledger/agent-db.ts";
import { Ledger } from "./ledger/ledger.ts";
import { DAY_MS } from "./ledger/retention.ts";
import { createLogger } from "./log.ts";
import { createUploader } from "./upload/create.ts";
import { loadTrustedKeys } from "./policy/trusted-keys.ts";
import { POLICY_SETTING } from "./ledger/settings.ts";
import { PolicyEngine } from "./policy/engine.ts";

function usage(message: string): never {
  throw new AgentError("USAGE", message);
}

function openLedger(config: Config): Ledger {
  const db = openAgentDb(join(resolve(config.dataDir), "agent.db"));
  // The retention in force includes the stored fleet policy, as in the agent.
  const engine = new PolicyEngine({
    trusted: loadTrustedKeys(config.policy),
    now: () => Date.now(),
    household: () => ({
      retentionDays: config.retention.days,
      uploads: config.upload.kind !== "off",
      trainingUse: config.privacy.trainingUse,
      alphaMin: config.privacy.alphaMin,
      alphaMax: config.privacy.alphaMax,
      wakeWords: config.wake.keywords,
      child: config.profile === "child",
    }),
  });
  const stored = (db.prepare("SELECT value FROM settings WHERE name = ?").get(POLICY_SETTING) as { value: string } | undefined)?.value;
  if (stored) engine.restore(stored);
  return new Ledger(db, new SystemClock(), {
    retentionDays: () => engine.effective().retentionDays,
    purgeIntervalMs: config.retention.purgeIntervalMinutes * 60_000,
    auditKeepDays: config.retention.auditKeepDays,
    log: createLogger({ name: "spa", level: "warn", json: false }),
  });
}

async function withLedger<T>(config: Config, fn: (l: Ledger) => Promise<T> | T): Promise<T> {
  let l: Ledger;
  try {
    l = openLedger(config);
  } catch (e) {
    throw asLedgerError(e, join(resolve(config.dataDir), "agent.db"));
  }
  try {
    return await fn(l);
  } catch (e) {
    throw asLedgerError(e, join(resolve(config.dataDir), "agent.db"));
  } finally {
    l.stop();
    l.db.close();
  }
}

/** The running agent, if its bridge socket answers. */
export async function agentClient(config: Config): Promise<BridgeClient | null> {
  const socket = resolve(config.bridge.socketPath);
  if (!existsSync(socket)) return null;
  try {
    return await BridgeClient.connect(socket, 2000);
  } catch {
    return null;
  }
}

/** Sends queued upstream deletion requests now, where the uploader is reachable (best effort). */
async function sendDeletions(config: Config, l: Ledger, out: (s: string) => void): Promise<void> {
  const pending = l.captures.deletions.list().length;
  if (pending === 0) return;
  let uploader;
  try {
    uploader = await createUploader(config.upload);
  } catch {
    uploader = null;
  }
  let sent = 0;
  if (uploader) {
    for (const r of l.captures.deletions.list()) {
      try {
        await uploader.requestDeletion(r.uploadId);
        l.captures.deletions.done(r.uploadId);
        sent++;
      } catch {
        /* stays queued for the agent to retry */
      }
    }
  }
  out(
    sent === pending
      ? `${sent} deletion requests sent to the upload endpoint\n`
      : `${pending - sent} deletion requests queued for the upload endpoint (sent when the agent runs)\n`,
  );
}

const days = (ms: number): string =>
  ms >= DAY_MS ? `${Math.floor(ms / DAY_MS)} days` : ms >= 3_600_000 ? `${Math.floor(ms / 3_600_000)} h` : `${Math.max(0, Math.floor(ms / 60_000))} min`;

export { LEDGER_HELP };

export async function cmdLedger(
  cmd: string,
  argv: string[],
  resolveConfig: (file: string | undefined) => Promise<{ config: Config; how: string }>,
  out: (s: string) => void,
  outBinary: (b: Buffer) => void,
  stdoutIsTty: boolean,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      config: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean" },
      out: { type: "string" },
      last: { type: "boolean" },
      today: { type: "boolean" },
      all: { type: "boolean" },
      id: { type: "string" },
      yes: { type: "boolean" },
      limit: { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    out(LEDGER_HELP[cmd]! + "\n");
    return 0;
  }
  const { config, how } = await resolveConfig(values.config);
  // Reading commands never create a ledger: a missing one is most likely the wrong directory.
  const dbPath = join(resolve(config.dataDir), "agent.db");
  if (!existsSync(dbPath))
    usage(`no ledger at ${dbPath} (dataDir from ${how}); run this with the agent's config (--config FILE or SPA_CONFIG), or start the agent once to create it`);
  const allowed: Record<string, string[]> = {
    history: ["json"],
    play: ["out"],
    delete: ["last", "today", "all", "id"],
    export: ["out"],
    wipe: ["yes"],
    audit: ["json", "limit"],
  };
  for (const k of Object.keys(values)) if (k !== "config" && !allowed[cmd]!.includes(k)) usage(`'spa ${cmd}' does not take --${k}; see 'spa ${cmd} --help'`);
  const parseId = (s: string | undefined, what: string): number => {
    if (!s || !/^\d+$/.test(s)) usage(`${what} must be a capture id (a number from 'spa history'), got '${s ?? ""}'`);
    return Number(s);
  };

  switch (cmd) {
    case "history": {
      if (positionals.length) usage("'spa history' takes no arguments");
      return withLedger(config, (l) => {
        l.purge("before-read");
        const rows = l.history();
        if (values.json) {
          for (const r of rows) out(JSON.stringify(r) + "\n");
          return 0;
        }
        out(rows.length ? `${rows.length} captures kept (at most ${l.limitMs() / DAY_MS} days each):\n` : "nothing is kept\n");
        for (const r of rows) {
          out(
            `  #${r.id}  ${r.capturedAt.slice(0, 19).replace("T", " ")} UTC  ${r.trigger === "wake" ? `wake word ${r.keyword ?? ""}` : "talk button"}  ${(r.durationMs / 1000).toFixed(1)} s  upload ${r.uploadState}  expires in ${days(r.expiresInMs)}${r.hasAudio ? "" : "  (no audio)"}\n`,
          );
        }
        return 0;
      });
    }
    case "play": {
      if (positionals.length !== 1) usage("'spa play' needs one capture id; see 'spa history'");
      const id = parseId(positionals[0], "ID");
      if (!values.out && stdoutIsTty) usage("the audio is a WAV file: give --out FILE, or redirect stdout (spa play ID | aplay)");
      return withLedger(config, (l) => {
        l.purge("before-read");
        const wav = l.captureWav(id);
        if (!wav) usage(`capture ${id} is not kept (or has no audio); see 'spa history'`);
        if (values.out) {
          // A copy of voice material like an export: recorded, so it goes when the capture does.
          l.captures.exports.record(resolve(values.out), id, Date.now());
          writeFileSync(values.out, wav, { mode: 0o600 });
        } else outBinary(wav);
        wav.fill(0);
        return 0;
      });
    }
    case "delete": {
      if (positionals.length) usage("'spa delete' takes --last, --today, --all or --id ID");
      const scopes = (["last", "today", "all"] as const).filter((s) => values[s]);
      if (scopes.length + (values.id !== undefined ? 1 : 0) !== 1) usage("'spa delete' needs exactly one of --last, --today, --all, --id ID");
      const id = values.id !== undefined ? parseId(values.id, "--id") : null;
      if (scopes.length) {
        const client = await agentClient(config);
        if (client) {
          try {
            const reply = await client.request({ type: "delete", scope: scopes[0]! });
            if (reply.type !== "ack") usage(`the agent refused: ${JSON.stringify(reply)}`);
            out(`deleted ${(reply.data as AckData["delete"]).deleted} captures\n`);
            return 0;
          } finally {
            client.close();
          }
        }
      }
      return withLedger(config, async (l) => {
        const r = id !== null ? l.deleteId(id, "cli") : l.delete(scopes[0]!, "cli");
        if (id !== null && r.count === 0) usage(`capture ${id} is not kept; see 'spa history'`);
        out(`deleted ${r.count} captures\n`);
        await sendDeletions(config, l, out);
        return 0;
      });
    }
    case "export": {
      if (positionals.length || !values.out) usage("'spa export' needs --out DIR");
      return withLedger(config, (l) => {
        const r = l.export(values.out!);
        out(`exported ${r.captures} captures (${r.files} audio files) to ${resolve(values.out!)}\n`);
        return 0;
      });
    }
    case "wipe": {
      if (positionals.length) usage("'spa wipe' takes no arguments");
      if (!values.yes) usage("'spa wipe' deletes everything the household left on this speaker; add --yes to do it");
      const client = await agentClient(config);
      if (client) {
        client.close();
        usage("the agent is running: stop it first (e.g. systemctl stop speaker-privacy-agent), then run 'spa wipe --yes'");
      }
      const templates = config.wake.templates.dir ?? join(resolve(config.dataDir), "wake-templates");
      return withLedger(config, async (l) => {
        const r = l.wipe(templates);
        out(`wiped: ${r.count} captures, settings, choices, exported copies, wake-word templates and the privacy history\n`);
        out("uploads and training use stay off until the household chooses again ('spa consent grant uploads', 'spa consent grant training')\n");
        await sendDeletions(config, l, out);
        return 0;
      });
    }
    case "audit": {
      const [sub, ...extra] = positionals;
      if (extra.length || (sub !== undefined && sub !== "verify")) usage(`unknown audit command '${positionals.join(" ")}'; see 'spa audit --help'`);
      const file = join(resolve(config.dataDir), "agent.db");
      if (!existsSync(file)) usage(`no ledger at ${file}`);
      return withLedger(config, (l) => {
        if (sub === "verify") {
          const v = l.audit.verify();
          if (v.ok) {
            out(
              `audit chain intact: ${v.checked} events verified${v.anchorSeq ? ` (from anchor after event ${v.anchorSeq}; older events pruned)` : ""}; ${v.head === "matches" ? `it matches the chain head kept apart from agent.db (nothing removed or rewritten)${v.unconfirmed ? `; the newest ${v.unconfirmed} events are not confirmed by the head yet (an interrupted write)` : ""}` : "no chain head kept yet"}\n`,
            );
            return 0;
          }
          out(`audit chain BROKEN at event ${v.brokenAt}: ${v.reason} (${v.checked} events before it verified)\n`);
          return 1;
        }
        const limit = values.limit === undefined ? 100 : parseId(values.limit, "--limit");
        for (const e of l.audit.list(limit)) {
          out(
            values.json
              ? JSON.stringify(e) + "\n"
              : `  ${String(e.seq).padStart(5)}  ${new Date(e.at).toISOString().slice(0, 19).replace("T", " ")}  ${e.type.padEnd(18)} ${JSON.stringify(e.data)}\n`,
          );
        }
        return 0;
      });
    }
  }
  return usage(`unknown command '${cmd}'`);
}
