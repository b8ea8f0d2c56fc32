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
  constructor(readonly db: Db) {}

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

  audit(at: Timestamp, event: PrivacyEvent): void {
    const { type, ...data } = event;
    this.db.prepare("INSERT INTO events (at, type, json) VALUES (?, ?, ?)").run(at, type, JSON.stringify(data));
  }

  events(limit = 100): StoredEvent[] {
    const rows = this.db.prepare("SELECT id, at, type, json FROM events ORDER BY id DESC LIMIT ?").all(limit) as Array<{ id: number; at: number; type: string; json: string }>;
    return rows.reverse().map((r) => ({ id: r.id, at: r.at, type: r.type, data: JSON.parse(r.json) as Record<string, unknown> }));
  }
}
