/**
 * What a diagnostics bundle holds, listed to the household before it consents (categories) and
 * built from the agent's own state: versions, the settings that shape behaviour (no identifiers,
 * secrets or paths), counters, storage health, privacy-event counts by type, and the recent log
 * lines — every string passed through redact(). Never audio, never what anyone said (the agent
 * never logs either; the bundle holds no field that could carry them).
 */
import { redact, type Identifiers } from "./redact.ts";

export const CATEGORIES = [
  "agent and Node versions",
  "behaviour settings (mode, profile, wake engine, gate, retention, upload kind; no identifiers, secrets or paths)",
  "gate, upload and hotel counters",
  "storage health",
  "privacy-event counts by type (last 7 days)",
  "the last log lines, with phone numbers, e-mail, IP and MAC addresses, host names and device identifiers masked",
] as const;

export interface BundleInputs {
  fault: string;
  at: number;
  versions: Record<string, string>;
  settings: Record<string, unknown>;
  counters: Record<string, number>;
  storage: unknown;
  eventCounts: Record<string, number>;
  logLines: readonly string[];
  ids: Identifiers;
}

export function buildBundle(i: BundleInputs): string {
  const clean = (v: unknown): unknown =>
    typeof v === "string"
      ? redact(v, i.ids)
      : Array.isArray(v)
        ? v.map(clean)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)]))
          : v;
  return JSON.stringify({
    format: "spa-diagnostics/1",
    fault: redact(i.fault, i.ids),
    preparedAt: new Date(i.at).toISOString(),
    categories: CATEGORIES,
    versions: clean(i.versions),
    settings: clean(i.settings),
    counters: i.counters,
    storage: clean(i.storage),
    eventCounts: i.eventCounts,
    log: i.logLines.map((l) => redact(l, i.ids)),
  });
}
