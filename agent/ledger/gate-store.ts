/**
 * Persists what must survive a restart of the capture gate (mute flags with their deadline,
 * mode) and the privacy events it produces. Events hold causes and counts, never audio,
 * transcripts or identifiers.
 */
import { z } from "zod";
import type { GateStore } from "../capture/gate.driver.ts";
import type { AuditEvent, PersistedGate } from "../capture/gate.machine.ts";
import type { Timestamp } from "../units.ts";
import type { Db } from "./agent-db.ts";
import { AuditLog } from "./audit.ts";

const Persisted = z.object({
  mode: z.enum(["far", "near"]),
  hwSwitch: z.boolean(),
  fleetMute: z.boolean(),
  userMute: z.object({ until: z.number().int().optional() }).nullable(),
});

/** Everything the agent records as a privacy event: the gate's events plus household actions. */
export type PrivacyEvent =
  | AuditEvent
  | { type: "deletion"; scope: "last" | "today" | "all"; count: number }
  | { type: "training-use"; allowed: boolean };

export interface StoredEvent {
  id: number;
  at: number;
  type: string;
  data: Record<string, unknown>;
}

export class SqliteGateStore implements GateStore {
  readonly #audit: AuditLog;
  constructor(
    readonly db: Db,
    audit?: AuditLog,
  ) {
    this.#audit = audit ?? new AuditLog(db);
  }

  /** The persisted gate, or null on first start. A corrupt row is treated as muted (fail closed). */
  load(): PersistedGate | null {
    const row = this.db.prepare("SELECT json FROM gate_state WHERE id = 1").get() as { json: string } | undefined;
    if (!row) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.json);
    } catch {
      parsed = null;
    }
    const r = Persisted.safeParse(parsed);
    if (!r.success) return { mode: "near", hwSwitch: false, fleetMute: false, userMute: {} };
    const { userMute, ...rest } = r.data;
    return { ...rest, userMute: userMute ? (userMute.until !== undefined ? { until: userMute.until as Timestamp } : {}) : null };
  }

  save(state: PersistedGate): void {
    this.db
      .prepare("INSERT INTO gate_state (id, json, updated_at) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at")
      .run(JSON.stringify(state), Date.now());
  }

  /** Appends to the hash-chained audit log. */
  audit(at: Timestamp, event: PrivacyEvent): void {
    const { type, ...data } = event;
    this.#audit.append(at, type, data);
  }

  events(limit = 100): StoredEvent[] {
    return this.#audit.list(limit).map((r) => ({ id: r.seq, at: r.at, type: r.type, data: r.data }));
  }
}
