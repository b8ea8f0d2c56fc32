/**
 * The templates the wake engine may use: only those of people whose voiceprint consent is in
 * force (REQUIREMENTS CON-10), several people's per keyword merged, each keeping its calibration.
 * Also the one-time move of a template folder from before the ledger held voiceprints.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { VoiceprintStore } from "../ledger/voiceprints.ts";
import { KEYWORDS, type Keyword } from "../ports/wake-engine.ts";
import { loadTemplates } from "./templates-file.ts";
import { mergeTemplates, TEMPLATES_FILE, type KeywordTemplates, type Templates } from "./templates.ts";

/** The label templates moved from a folder get: nobody consented for them, so they wait for a grant. */
export const MIGRATED_PERSON = "enrolled-before-consent";

export function consentedTemplates(store: VoiceprintStore, granted: (person: string) => boolean): Templates | null {
  const sets = store.load().filter((v) => granted(v.person));
  if (sets.length === 0) return null;
  const out: Templates = {};
  for (const k of KEYWORDS) {
    const ks: KeywordTemplates[] = sets.filter((s) => s.keyword === k).map((s) => s.templates);
    if (ks.length) out[k] = ks.length === 1 ? ks[0]! : mergeTemplates(ks);
  }
  return out;
}

/**
 * Moves DIR/templates.json into the ledger (encrypted) once and deletes the folder. The sets are
 * filed under MIGRATED_PERSON and are not used until someone grants that voiceprint consent.
 * Returns the keywords moved (empty if there was nothing to move).
 */
export function migrateTemplateFolder(dir: string, store: VoiceprintStore, at: number): Keyword[] {
  if (!existsSync(join(dir, TEMPLATES_FILE))) return [];
  // An unreadable file throws (the caller says so and leaves it in place: nothing is lost).
  const t = loadTemplates(dir) ?? {};
  const moved: Keyword[] = [];
  for (const [k, kt] of Object.entries(t) as Array<[Keyword, KeywordTemplates]>) {
    store.save(MIGRATED_PERSON, k, kt, at);
    moved.push(k);
  }
  rmSync(dir, { recursive: true, force: true });
  return moved;
}
