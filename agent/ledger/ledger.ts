/**
 * The ledger as the household and the agent use it: captures with their retention, deletion,
 * export and wipe, the audit chain, and start-up repair. One instance per open agent.db; the
 * agent and the `spa` commands go through it, so every path writes its audit event and removes
 * everything that belongs to a capture (export copies and upstream copies included).
 */
import { chmodSync, mkdirSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { encodeWav } from "../audio/wav.ts";
import { AgentError, toError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Clock, TimerHandle } from "../ports/clock.ts";
import { Millis } from "../units.ts";
import { checkpoint, recoveryHint, type Db } from "./agent-db.ts";
import { Consents } from "./consents.ts";
import { VoiceprintStore } from "./voiceprints.ts";
import { DiagnosticsStore } from "./diagnostics.ts";
import { PageSessions } from "./page-sessions.ts";
import { AuditLog } from "./audit.ts";
import { CaptureStore, type DeleteScope, type Removed } from "./captures.ts";
import type { StorageHealth } from "./storage-health.ts";
import { LedgerClock } from "./ledger-clock.ts";
import { DAY_MS, expiresInMs, retentionLimitMs } from "./retention.ts";
import { makeDirs } from "../fs-dirs.ts";

export interface LedgerOptions {
  /** The retention the policy asks for, in days (capped at 180 here whatever it says). */
  retentionDays: () => number;
  /** Longest wait between scheduled purges (a purge also runs exactly when a capture expires). */
  purgeIntervalMs: number;
  /** Audit events older than this are pruned (the chain keeps an anchor and still verifies). */
  auditKeepDays: number;
  log: Logger;
  /** How often the powered-on counter is written (default PERSIST_EVERY_MS). */
  persistEveryMs?: number;
  /** The household page's sessions end after this many days unused (default 30). */
  pageSessionDays?: number;
  /** Where failed background writes are reported. */
  health?: StorageHealth;
  /** At most this many captures are kept, the oldest removed first (0 or absent: no cap). */
  maxCaptures?: number;
}

export interface HistoryRow {
  id: number;
  trigger: "wake" | "talk";
  keyword: string | null;
  capturedAt: string;
  durationMs: number;
  uploadState: string;
  hasAudio: boolean;
  expiresInMs: number;
}

export type PurgeCause = "start" | "schedule" | "retention-shortened" | "before-read" | "capture-cap";

export interface StartupReport {
  integrity: string;
  orphanKeys: number;
  orphanAudio: number;
  orphanFiles: number;
  purged: number;
}

/** A remove that cannot unlink a file leaves a record for the next start (logged, not thrown). */
function unlinkAll(paths: string[], log: Logger): number {
  let n = 0;
  for (const p of paths) {
    try {
      unlinkSync(p);
      n++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") log.warn("could not remove an exported copy", { error: toError(e).message });
    }
  }
  return n;
}

export class Ledger {
  readonly captures: CaptureStore;
  readonly audit: AuditLog;
  readonly clock: LedgerClock;
  readonly consents: Consents;
  readonly voiceprints: VoiceprintStore;
  readonly diagnostics: DiagnosticsStore;
  readonly pageSessions: PageSessions;
  #timer: TimerHandle | null = null;
  #persistTimer: TimerHandle | null = null;
  #lastLimitMs: number;
  /** Captures purged as expired since this instance started (compliance counter). */
  purgedTotal = 0;
  /** Captures removed by the capture cap (retention.maxCaptures) since this instance started. */
  cappedTotal = 0;

  readonly db: Db;
  readonly wallClock: Clock;
  readonly o: LedgerOptions;
  constructor(db: Db, wallClock: Clock, o: LedgerOptions) {
    this.db = db;
    this.wallClock = wallClock;
    this.o = o;
    this.captures = new CaptureStore(db);
    this.consents = new Consents(db);
    this.voiceprints = new VoiceprintStore(db);
    this.diagnostics = new DiagnosticsStore(db);
    this.pageSessions = new PageSessions(db, (o.pageSessionDays ?? 30) * DAY_MS);
    this.audit = new AuditLog(db);
    this.audit.adoptHead();
    this.clock = new LedgerClock(db, wallClock, (e) => {
      if (e === null) return void this.o.health?.ok("ledger-clock");
      if (this.o.health?.failed("ledger-clock", e) ?? true)
        this.o.log.error("cannot persist the ledger clock; it counts on in memory", { error: toError(e).message });
    });
    this.#lastLimitMs = this.limitMs();
  }

  limitMs(): number {
    return retentionLimitMs(this.o.retentionDays());
  }

  now(): { wall: number; uptime: number } {
    return { wall: this.clock.wall(), uptime: this.clock.uptime() };
  }

  /** Removes every expired capture (one transaction), its copies, and records it. */
  purge(cause: PurgeCause): Removed {
    const limitMs = this.limitMs();
    const r = this.captures.purgeExpired(this.now(), limitMs, this.#purgeRecord({ limitDays: limitMs / DAY_MS, cause }));
    if (r.count > 0) this.audit.committed();
    this.purgedTotal += r.count;
    unlinkAll(r.exportFiles, this.o.log);
    this.clock.persist();
    if (r.count > 0) this.o.log.info("expired captures purged", { count: r.count, cause });
    const pruned = this.audit.prune(this.clock.wall() - this.o.auditKeepDays * DAY_MS);
    if (pruned > 0) checkpoint(this.db);
    return r;
  }

  /** The policy's retention changed: a shorter limit purges at once. */
  retentionChanged(): Removed | null {
    const limit = this.limitMs();
    const shorter = limit < this.#lastLimitMs;
    this.#lastLimitMs = limit;
    if (!shorter) return null;
    const r = this.purge("retention-shortened");
    if (this.#timer) this.#reschedule();
    return r;
  }

  delete(scope: DeleteScope, via: "bridge" | "cli" | "page", extra = 0): Removed {
    // The audit event is written in the deletion's own transaction (issue 14.10).
    const r = this.captures.delete(scope, this.wallClock.now(), (d) =>
      this.audit.append(this.wallClock.now(), "deletion", { scope, count: d.count + extra, via, deletionRequests: d.deletionRequests }),
    );
    this.audit.committed();
    unlinkAll(r.exportFiles, this.o.log);
    return r;
  }

  deleteId(id: number, via: "bridge" | "cli" | "page"): Removed {
    const r = this.captures.deleteId(id, this.wallClock.now(), (d) =>
      this.audit.append(this.wallClock.now(), "deletion", { scope: "id", count: d.count, via, deletionRequests: d.deletionRequests }),
    );
    this.audit.committed();
    unlinkAll(r.exportFiles, this.o.log);
    return r;
  }

  /** Age in days of the oldest capture kept (by wall clock), or null with none. */
  oldestKeptDays(): number | null {
    const r = this.db.prepare("SELECT MIN(captured_wall) AS w FROM captures").get() as { w: number | null };
    return r.w === null ? null : Math.floor((this.clock.wall() - r.w) / DAY_MS);
  }

  /** A kept capture's stored (voice-modified) audio as WAV, the decrypted samples wiped; null if it is not kept or has none. The caller wipes the WAV. */
  captureWav(id: number): Buffer | null {
    const audio = this.captures.audio(id);
    if (!audio) return null;
    const wav = encodeWav(audio);
    audio.fill(0);
    return wav;
  }

  /**
   * A value that changes whenever what the household page shows from the ledger changes:
   * captures kept or gone, an upload state, a choice, a privacy event — also when another
   * process (the CLI) wrote it.
   */
  changeMark(): string {
    const r = this.db
      .prepare(
        `SELECT (SELECT COUNT(*) || ':' || IFNULL(MAX(id), 0) || ':' || IFNULL(SUM(upload_state = 'sent'), 0) || ':' || IFNULL(SUM(upload_state = 'queued'), 0) FROM captures)
          || '/' || (SELECT IFNULL(MAX(id), 0) FROM events) || '/' || (SELECT IFNULL(MAX(seq), 0) FROM consents) AS m`,
      )
      .get() as { m: string };
    return r.m;
  }

  history(limit = 1000): HistoryRow[] {
    const now = this.now();
    const L = this.limitMs();
    return this.captures.list(limit).map((c) => ({
      id: c.id,
      trigger: c.trigger,
      keyword: c.keyword,
      capturedAt: new Date(c.startedAt).toISOString(),
      durationMs: c.durationMs,
      uploadState: c.uploadState,
      hasAudio: c.hasAudio,
      expiresInMs: expiresInMs({ wall: c.capturedWall, uptime: c.capturedUptime }, now, L),
    }));
  }

  /**
   * A copy of what is kept, for the household: captures.json (exactly the history), settings.json,
   * audit.json and audio/capture-<id>.wav (the stored, voice-modified audio). The WAV copies are
   * recorded and removed when their capture expires or is deleted. DIR must be new or empty.
   */
  export(dir: string): { captures: number; files: number } {
    const out = resolve(dir);
    makeDirs(out, 0o700);
    if (readdirSync(out).length > 0) throw new AgentError("USAGE", `${out} is not empty; export into a new or empty directory`);
    mkdirSync(join(out, "audio"), { mode: 0o700 });
    const files = this.#exportFiles();
    let n = files.next();
    for (; !n.done; n = files.next()) {
      const { name, data, captureId } = n.value;
      const path = join(out, name);
      // Recorded before it is written: a crash in between leaves a record, never an unknown copy.
      if (captureId !== null) this.captures.exports.record(path, captureId, this.wallClock.now());
      writeFileSync(path, data, { mode: 0o600 });
    }
    chmodSync(out, 0o700);
    this.audit.append(this.wallClock.now(), "export", n.value);
    return n.value;
  }

  /**
   * The same export as one archive, file by file (a ZIP writer streaming to the household's
   * phone, which may wait for the phone between files): nothing is written on the speaker, so
   * there is no copy here to expire. Each file's buffer is zero-filled when the next is asked
   * for (or the iteration is ended early with return()); the export is audited when it starts.
   */
  *exportEntries(via: "page"): Generator<{ name: string; data: Buffer }, { captures: number; files: number }> {
    // Audited as it starts: a phone that stops reading after the last recording still got them.
    this.audit.append(this.wallClock.now(), "export", { captures: this.captures.count(), via });
    return yield* this.#exportFiles();
  }

  /** What an export holds (exactly what history lists), one file at a time; each buffer is zero-filled once the next is asked for. */
  *#exportFiles(): Generator<{ name: string; data: Buffer; captureId: number | null }, { captures: number; files: number }> {
    this.purge("before-read");
    const rows = this.history(Number.MAX_SAFE_INTEGER);
    let files = 0;
    for (const r of rows) {
      // Read when its turn comes: one capture's audio in memory at a time (one deleted meanwhile is left out).
      const wav = this.captureWav(r.id);
      if (!wav) continue;
      try {
        yield { name: `audio/capture-${r.id}.wav`, data: wav, captureId: r.id };
      } finally {
        wav.fill(0);
      }
      files++;
    }
    const settings = Object.fromEntries(
      (this.db.prepare("SELECT name, value FROM settings").all() as Array<{ name: string; value: string }>).map((s) => [s.name, s.value]),
    );
    const json = (name: string, v: unknown) => ({ name, data: Buffer.from(JSON.stringify(v, null, 2) + "\n"), captureId: null });
    yield json(
      "captures.json",
      rows.map((r) => ({ ...r, audioFile: r.hasAudio ? `audio/capture-${r.id}.wav` : null })),
    );
    yield json("settings.json", { ...settings, retentionDays: this.limitMs() / DAY_MS });
    yield json("audit.json", this.audit.list(Number.MAX_SAFE_INTEGER));
    // The chain's head, to compare later copies with (a rewrite after this export shows).
    yield json("audit-head.json", { ...this.audit.current(), verified: this.audit.verify() });
    return { captures: rows.length, files };
  }

  /**
   * Everything the household left here, gone: captures, keys, audio, queued uploads, settings,
   * export copies, personal wake-word templates, the audit history (a new chain starts, from a
   * new random genesis). Uploaded captures get upstream deletion requests. The file is vacuumed.
   * Mute and mode are kept: a wipe must not unmute the speaker.
   */
  /**
   * Everything the household left: captures, exports, voiceprints, settings, the consent history
   * and the privacy history. `after` says what the choices fall back to: "strictest" (a
   * household's wipe: uploads and training use stay off until the household chooses again, issue
   * 18.3) or "defaults" (a hotel's check-out: back to the operator's defaults for the next guest).
   */
  wipe(templatesDir: string | null, after: "strictest" | "defaults" = "strictest"): Removed {
    const now = this.wallClock.now();
    const r = this.captures.removeAll(now);
    unlinkAll(r.exportFiles, this.o.log);
    if (templatesDir) rmSync(templatesDir, { recursive: true, force: true });
    const voiceprints = this.voiceprints.clear();
    this.diagnostics.clear();
    // A wipe unpairs every phone: the next owner pairs afresh.
    this.pageSessions.clear();
    const consents = this.consents.clear();
    if (after === "strictest")
      for (const feature of ["uploads", "training"])
        this.consents.append({ feature, person: null, granted: false, notice: null, by: "wipe", source: "wipe", at: now });
    this.audit.restart();
    this.audit.append(now, "wipe", { count: r.count, deletionRequests: r.deletionRequests, consents, voiceprints, after });
    this.db.exec("VACUUM");
    checkpoint(this.db);
    return r;
  }

  /** At start: integrity check, orphans, expired captures. Throws if the file is corrupt. */
  startup(): StartupReport {
    const integrity = (this.db.pragma("integrity_check", { simple: true }) as string) ?? "unknown";
    if (integrity !== "ok")
      throw new AgentError("LEDGER_OPEN_FAILED", `${this.db.name} failed its integrity check (${integrity.split("\n")[0]}); ${recoveryHint(this.db.name)}`);
    const o = this.captures.removeOrphans();
    unlinkAll(o.exportFiles, this.o.log);
    const purged = this.purge("start").count + this.enforceCap().count;
    // What was just purged at start is not a change of retention to react to again.
    this.#lastLimitMs = this.limitMs();
    if (o.keys || o.audio || o.exportFiles.length)
      this.audit.append(this.wallClock.now(), "repair", { orphanKeys: o.keys, orphanAudio: o.audio, orphanFiles: o.exportFiles.length });
    return { integrity, orphanKeys: o.keys, orphanAudio: o.audio, orphanFiles: o.exportFiles.length, purged };
  }

  /** Purges on schedule and exactly when the next capture expires; persists the counters. */
  start(): void {
    this.#reschedule();
    const persist = (): void => {
      // A full disk or a long lock must not end the agent: persist() reports it, and the next tick tries again.
      this.clock.persist();
      try {
        // A checkpoint after a deletion that a reader blocked is retried here.
        if (this.captures.checkpointPending) this.captures.retryCheckpoint();
      } catch (e) {
        this.o.log.error("checkpoint after a deletion failed; retrying", { error: toError(e).message });
      }
      this.#persistTimer = this.wallClock.after(Millis(every), persist);
    };
    const every = this.o.persistEveryMs ?? PERSIST_EVERY_MS;
    this.#persistTimer = this.wallClock.after(Millis(every), persist);
  }

  /** A capture was stored: its expiry may be the next one. */
  stored(): void {
    try {
      this.enforceCap();
    } catch (e) {
      // The capture is stored; a cap purge the database refused (busy, full) is retried at the
      // next capture and at start. It must not look like a lost capture to the caller.
      this.o.log.error("capture cap not enforced; retrying with the next capture", { error: toError(e).message });
    }
    if (this.#timer) this.#reschedule();
  }

  /** Removes the oldest captures beyond retention.maxCaptures (as a purge, recorded the same way). */
  enforceCap(): Removed {
    const cap = this.o.maxCaptures ?? 0;
    // Under the cap (the usual case) no write transaction is opened.
    if (cap <= 0 || this.captures.count() <= cap) return { count: 0, deletionRequests: 0, exportFiles: [] };
    const r = this.captures.purgeBeyond(cap, this.clock.wall(), this.#purgeRecord({ cause: "capture-cap" satisfies PurgeCause, maxCaptures: cap }));
    if (r.count > 0) {
      this.audit.committed();
      this.cappedTotal += r.count;
      unlinkAll(r.exportFiles, this.o.log);
      this.o.log.info("oldest captures removed: the capture cap is reached", { count: r.count, maxCaptures: cap });
    }
    return r;
  }

  /**
   * The audit record of a purge (expiry or cap), written inside the removal's transaction. Unlike a
   * household deletion, a purge does not wait for its record: one that cannot be written is
   * logged, and the purge stands.
   */
  #purgeRecord(data: Record<string, unknown>): (d: Removed) => void {
    return (d) => {
      if (d.count === 0) return;
      try {
        this.audit.append(this.wallClock.now(), "purge", { count: d.count, ...data, deletionRequests: d.deletionRequests });
      } catch (e) {
        this.o.log.error("purge event not recorded; the purge stands", { error: toError(e).message, count: d.count });
      }
    };
  }

  #reschedule(afterEmptyPurge = false): void {
    this.#timer?.cancel();
    const oldest = this.captures.oldestBirths();
    const next = oldest ? expiresInMs(oldest, this.now(), this.limitMs()) : null;
    let wait = Math.min(this.o.purgeIntervalMs, next ?? Infinity);
    // Something is due but the last purge removed nothing (a failing purge): never spin.
    if (afterEmptyPurge && wait === 0) wait = MIN_RETRY_MS;
    this.#timer = this.wallClock.after(Millis(Math.max(0, Math.ceil(wait))), () => {
      let removed = 0;
      try {
        removed = this.purge("schedule").count;
      } catch (e) {
        this.o.log.error("scheduled purge failed; retrying", { error: toError(e).message });
      }
      this.#reschedule(removed === 0);
    });
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#persistTimer?.cancel();
    this.#persistTimer = null;
    this.clock.persist();
    // A later append (the gate store's last flush) opens it again.
    this.audit.head?.close();
  }
}

/** A due purge that removed nothing is retried after this, not at once. */
const MIN_RETRY_MS = 1000;

/** Powered-on time is written this often (a crash loses at most this much of it). */
export const PERSIST_EVERY_MS = 60_000;
