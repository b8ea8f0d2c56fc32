/**
 * A diagnostics bundle's life (REQUIREMENTS DIAG-01..05), pure: prepared for one fault and shown
 * to the household (its categories) → sent once, only on a confirmation naming that fault, the
 * local copy deleted → debugging complete upstream → deleted upstream within 24 hours, or an
 * alert. A withdrawn diagnostics consent discards what was prepared and not sent.
 */

/** Upstream must delete a bundle within this long after debugging is complete (002: 调试完成后24小时内删除). */
export const DELETE_AFTER_DEBUG_MS = 24 * 3_600_000;

export type DiagnosticsState = "prepared" | "sent" | "debug-complete" | "deleted" | "discarded";

export interface DiagnosticsRecord {
  id: number;
  fault: string;
  state: DiagnosticsState;
  categories: string[];
  preparedAt: number;
  sentAt: number | null;
  debugCompleteAt: number | null;
  deletedAt: number | null;
  overdueReported: boolean;
}

export type Refusal = { code: "REFUSED" | "CONSENT_REQUIRED"; message: string };

/** May this bundle be sent now? (one time, on a confirmation that names its fault, with the consent in force) */
export function mayConfirm(r: DiagnosticsRecord | null, fault: string, consented: boolean): Refusal | null {
  if (!r) return { code: "REFUSED", message: "no such diagnostics bundle" };
  if (!consented)
    return { code: "CONSENT_REQUIRED", message: "diagnostics need the household's consent first: spa consent grant diagnostics (it shows the notice)" };
  if (r.state !== "prepared") return { code: "REFUSED", message: `bundle ${r.id} is ${r.state}: a confirmation counts once` };
  if (r.fault !== fault) return { code: "REFUSED", message: `bundle ${r.id} was prepared for fault ${r.fault}, not ${fault}` };
  return null;
}

/** The upstream's reports, in order: debugging complete (only after sending), then deleted. */
export function nextState(r: DiagnosticsRecord, event: "debug-complete" | "deleted"): DiagnosticsState | null {
  if (event === "debug-complete") return r.state === "sent" ? "debug-complete" : null;
  return r.state === "sent" || r.state === "debug-complete" ? "deleted" : null;
}

/** Bundles whose upstream deletion is overdue at `now` (debugging complete more than 24 h ago, no deletion confirmed). */
export function overdue(rs: readonly DiagnosticsRecord[], now: number): DiagnosticsRecord[] {
  return rs.filter((r) => r.state === "debug-complete" && r.debugCompleteAt !== null && now > r.debugCompleteAt + DELETE_AFTER_DEBUG_MS);
}
