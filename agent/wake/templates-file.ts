/** A household's wake-word templates on disk: DIR/templates.json (speech features, never audio). */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeDirs } from "../fs-dirs.ts";
import type { Keyword } from "../ports/wake-engine.ts";
import { parseTemplates, serializeTemplates, TEMPLATES_FILE, type KeywordTemplates, type Templates } from "./templates.ts";

export function loadTemplates(dir: string): Templates | null {
  const file = join(dir, TEMPLATES_FILE);
  if (!existsSync(file)) return null;
  return parseTemplates(JSON.parse(readFileSync(file, "utf8")), file);
}

/** Adds (or replaces) one keyword's templates in DIR/templates.json, readable by the owner only. */
export function saveTemplates(dir: string, keyword: Keyword, kt: KeywordTemplates): string {
  makeDirs(dir, 0o700);
  const all = loadTemplates(dir) ?? {};
  all[keyword] = kt;
  const file = join(dir, TEMPLATES_FILE);
  writeFileSync(file, JSON.stringify(serializeTemplates(all)) + "\n", { mode: 0o600 });
  return file;
}
