/**
 * Firmware message handlers (one file per message type, the registry in index.ts): what each
 * may touch, and what it answers. A handler returns a gate input (dispatched, then answered with
 * the state), a finished reply, or nothing (answered with the state).
 */
import type { Reply } from "../../firmware-bridge/server.ts";
import type { Request } from "../../firmware-bridge/protocol/messages.ts";
import type { GateInput, GateSnapshot, Step } from "../capture/gate.machine.ts";
import type { DeleteScope, Removed } from "../ledger/captures.ts";
import type { Timestamp } from "../units.ts";
import type { AckData, ConsentLine, NoticeText, VoiceprintLine } from "../../firmware-bridge/protocol/messages.ts";
import type { ConsentChange, ConsentRecord } from "../consent/features.ts";
import type { ChangeResult } from "../consent/registry.ts";
import type { GuardianWindow } from "../guardian/hours.ts";

export interface HandlerContext {
  /** When the message arrived (the agent's clock). */
  at: Timestamp;
  /** The LED ring's acknowledgement of a pattern (null: a stale ack). */
  ledAck(pattern: GateSnapshot["led"], seq: number): Step | null;
  /** Household deletion of kept captures (with its audit event and upstream deletion requests). */
  deleteKept(scope: DeleteScope, extra: number): Removed;
  /** Cancels captures still being voice-modified; how many. */
  cancelInFlight(): number;
  /** Appends a privacy event to the ledger's audit chain. */
  audit(type: string, data: Record<string, unknown>): void;
  /** The consent registry (agent/consent/registry.ts): every change is recorded, audited and carried out there. */
  consents: {
    change(c: ConsentChange & { source: string }): ChangeResult;
    list(): ConsentLine[];
    history(): ConsentRecord[];
    notices(): NoticeText[];
    withdrawalNotice(feature: string): NoticeText | null;
  };
  /** The household's voiceprints (ledger/voiceprints.ts); every change reaches the wake engine at once. */
  voiceprints: {
    list(): VoiceprintLine[];
    rename(from: string, to: string): number;
    deletePerson(person: string): number;
    /** Makes the wake engine use exactly the consented voiceprints now. */
    refresh(): void;
  };
  /** Diagnostics bundles (agent/diagnostics): the agent builds, sends and tracks them. */
  diagnostics: {
    prepare(fault: string): { bundle: number; categories: string[]; bytes: number };
    /** Null when the send has started; else why not. */
    confirm(id: number, fault: string): { code: "REFUSED" | "CONSENT_REQUIRED"; message: string } | null;
    /** The new state, or null if the report does not fit the bundle's state. */
    report(id: number, event: "debug-complete" | "deleted"): string | null;
    list(): AckData["diagnostics"]["diagnostics"];
  };
  /** Stores a guardian's hours (empty: no restriction) and applies them at once; whether voice service is open now. */
  setGuardianHours(windows: GuardianWindow[]): { open: boolean };
  /** A notice for the firmware to speak or show (a bridge event to every client). */
  notify(n: NoticeText): void;
  /** Makes every queued upload due now; how many are queued. */
  retryUploads(): number;
  /** The device profile (config `profile`): a hotel room refuses personal accounts. */
  profile: "household" | "hotel" | "child";
  /** Whether an upload worker runs, and a nudge to it. */
  uploadsOn: boolean;
  kickUploads(): void;
  /** The household page (agent/page), or null when it is off. */
  page: {
    issueCode(): { ok: true; code: string; validSeconds: number } | { ok: false; retryAfterSeconds: number };
    urls: string[];
    fingerprint: string | null;
    sessions(): Array<{ id: number; label: string; createdAt: number; lastSeenAt: number }>;
    /** Ends a session (or all) at once, its open pages included; how many were live. */
    revoke(id: number | "all"): number;
  } | null;
}

export type HandlerResult = { input: GateInput } | { reply: Reply } | null;

export type Handler<T extends Request["type"]> = (msg: Extract<Request, { type: T }>, ctx: HandlerContext) => HandlerResult;
