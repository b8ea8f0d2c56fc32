/**
 * Persists what must survive a restart of the capture gate (mute flags with their deadline,
 * mode) and the privacy events it produces. Events hold causes and counts, never audio,
 * transcripts or identifiers.
 *
 * Neither waits for SQLite or for free space (issue 14.1): the gate state goes to a fixed-size
 * file written in place (state-file.ts); the gate's audit events go to a queue in memory that is
 * written to the ledger right after the step that made them, without waiting for another
 * process's lock, and retried while the ledger refuses them (full disk, lock held). Failures are
 * reported in StorageHealth; the mute itself holds in memory whatever storage does.
 */
import { z } from "zod";
import { toError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { GateStore } from "../capture/gate.driver.ts";
import type { AuditEvent, PersistedGate } from "../capture/gate.machine.ts";
import type { Clock, TimerHandle } from "../ports/clock.ts";
import { Millis, type Timestamp } from "../units.ts";
import type { Db } from "./agent-db.ts";
import { AuditLog } from "./audit.ts";
import { StateFile } from "./state-file.ts";
import { StorageHealth } from "./storage-health.ts";

const Persisted = z.object({
  mode: z.enum(["far", "near"]),
  hwSwitch: z.boolean(),
  fleetMute: z.boolean(),
  userMute: z.object({ until: z.number().int().optional() }).nullable(),
});

/** Everything the agent records as a privacy event: the gate's events plus household actions. */
export type PrivacyEvent =
  AuditEvent | { type: "deletion"; scope: "last" | "today" | "all"; count: number } | { type: "boot-muted"; reason: "unreadable-state" | "ledger-missing" };

export interface StoredEvent {
  id: number;
  at: number;
  type: string;
  data: Record<string, unknown>;
}

/** What boot found: the state to start from (null on a first start) and, if any, why it is muted. */
export interface LoadedGate {
  state: PersistedGate | null;
  /** Set when the stored state could not be read: the agent starts muted and says this. */
  problem?: string;
}

/** Indefinite user mute: what an unreadable state boots into (fail closed). */
const FAIL_CLOSED: PersistedGate = { mode: "near", hwSwitch: false, fleetMute: false, userMute: {} };

/** Audit events held in memory at most; beyond, the oldest are dropped and counted. */
export const MAX_PENDING_AUDIT = 10_000;
/** Retry of the audit queue while another process holds the lock, and while storage fails. */
const BUSY_RETRY_MS = 50;
const FAILING_RETRY_MS = 2000;

function toPersisted(json: unknown): PersistedGate | null {
  const r = Persisted.safeParse(json);
  if (!r.success) return null;
  const { userMute, ...rest } = r.data;
  return { ...rest, userMute: userMute ? (userMute.until !== undefined ? { until: userMute.until as Timestamp } : {}) : null };
}

export interface GateStoreOptions {
  clock: Clock;
  log: Logger;
  health: StorageHealth;
  audit?: AuditLog;
  /** Hotel profile (asked at each event): session events (kept, discarded, false wake) are not audited. */
  quietSessions?: () => boolean;
}

/** The gate's events that say a session happened. */
const SESSION_EVENTS: ReadonlySet<string> = new Set(["session-kept", "session-discarded", "false-wake"]);

export class DurableGateStore implements GateStore {
  readonly #audit: AuditLog;
  readonly #pending: Array<{ at: number; type: string; data: Record<string, unknown> }> = [];
  #dropped = 0;
  #timer: TimerHandle | null = null;
  #closed = false;

  readonly db: Db;
  readonly file: StateFile;
  readonly o: GateStoreOptions;
  constructor(db: Db, file: StateFile, o: GateStoreOptions) {
    this.db = db;
    this.file = file;
    this.o = o;
    this.#audit = o.audit ?? new AuditLog(db);
  }

  get health(): StorageHealth {
    return this.o.health;
  }

  /**
   * The persisted gate. From the state file; a ledger from before the file existed hands over its
   * row once. No file and no row: a first start (null). A file that cannot be read: muted.
   */
  load(): LoadedGate {
    const r = this.file.read();
    if (r.kind === "ok") {
      const p = toPersisted(r.json);
      return p ? { state: p } : { state: FAIL_CLOSED, problem: `the mute state in ${this.file.path} is unreadable (unknown content)` };
    }
    if (r.kind === "unreadable") return { state: FAIL_CLOSED, problem: `the mute state in ${this.file.path} is unreadable (${r.reason})` };
    const row = this.db.prepare("SELECT json FROM gate_state WHERE id = 1").get() as { json: string } | undefined;
    if (!row) return { state: null };
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(row.json);
    } catch {
      /* corrupt row: fail closed below */
    }
    const p = toPersisted(parsed);
    return p ? { state: p } : { state: FAIL_CLOSED, problem: "the mute state in agent.db is unreadable" };
  }

  /** Creates the state file if needed, holding `initial` (the state the gate boots in). */
  open(initial: PersistedGate): void {
    this.file.open(initial);
  }

  /** In place, fsynced, no free space needed. A failure is reported and thrown (the gate fails closed). */
  save(state: PersistedGate): void {
    try {
      this.file.save(state);
      this.o.health.ok("gate-state");
    } catch (e) {
      if (this.o.health.failed("gate-state", e)) this.o.log.error("cannot persist the mute state; it holds in memory", { error: toError(e).message });
      throw e;
    }
  }

  /** Queued in memory and written to the hash-chained audit log right after this step. */
  audit(at: Timestamp, event: PrivacyEvent): void {
    // In a hotel room a guest's sessions leave no row, not even that one happened (a count only).
    if (this.o.quietSessions?.() && SESSION_EVENTS.has(event.type)) return;
    const { type, ...data } = event;
    this.#pending.push({ at, type, data });
    if (this.#pending.length > MAX_PENDING_AUDIT) {
      this.#pending.shift();
      this.#dropped++;
    }
    this.o.health.pendingAudit = this.#pending.length;
    this.#schedule(0);
  }

  events(limit = 100): StoredEvent[] {
    return this.#audit.list(limit).map((r) => ({ id: r.seq, at: r.at, type: r.type, data: r.data }));
  }

  /** Writes what is queued; `wait` lets SQLite wait out a lock (shutdown), otherwise it never does. */
  flush(wait = false): boolean {
    if (this.#pending.length === 0 && this.#dropped === 0) return true;
    const timeout = this.db.pragma("busy_timeout", { simple: true }) as number;
    if (!wait) this.db.pragma("busy_timeout = 0");
    try {
      if (this.#dropped > 0) {
        this.#audit.append(this.o.clock.now(), "audit-gap", { dropped: this.#dropped });
        this.#dropped = 0;
      }
      while (this.#pending.length > 0) {
        const e = this.#pending[0]!;
        this.#audit.append(e.at, e.type, e.data);
        this.#pending.shift();
      }
      this.o.health.ok("audit");
      return true;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") this.#schedule(BUSY_RETRY_MS);
      else {
        if (this.o.health.failed("audit", e))
          this.o.log.error("cannot write privacy events; holding them in memory", { error: toError(e).message, pending: this.#pending.length });
        this.#schedule(FAILING_RETRY_MS);
      }
      return false;
    } finally {
      if (!wait) this.db.pragma(`busy_timeout = ${timeout}`);
      this.o.health.pendingAudit = this.#pending.length;
    }
  }

  /** Last try to write queued events (waiting for a lock), then closes the state file. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.flush(true);
    if (this.#pending.length) this.o.log.error("privacy events lost at shutdown: storage refused them", { count: this.#pending.length });
    this.file.close();
  }

  #schedule(ms: number): void {
    if (this.#closed || this.#timer) return;
    this.#timer = this.o.clock.after(Millis(ms), () => {
      this.#timer = null;
      this.flush();
    });
  }
}
