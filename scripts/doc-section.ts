/**
 * A generated section of a Markdown doc, between a begin and an end marker: read it (for drift
 * tests) and write it (the generators' --write), and the command-line shape both generators share.
 */
import { readFileSync, writeFileSync } from "node:fs";

export interface DocSection {
  file: string;
  begin: string;
  end: string;
}

function bounds(text: string, s: DocSection): [number, number] {
  const a = text.indexOf(s.begin);
  const b = text.indexOf(s.end);
  if (a < 0 || b < a) throw new Error(`${s.file} lacks the markers ${s.begin} … ${s.end}`);
  return [a + s.begin.length, b];
}

/** The section's current text, trimmed. */
export function readSection(s: DocSection): string {
  const text = readFileSync(s.file, "utf8");
  const [a, b] = bounds(text, s);
  return text.slice(a, b).trim();
}

/** `--write`: replace the section with `body`; otherwise print `body`. */
export function generatorMain(s: DocSection, body: string, argv = process.argv): void {
  if (!argv.includes("--write")) {
    process.stdout.write(body + "\n");
    return;
  }
  const text = readFileSync(s.file, "utf8");
  const [a, b] = bounds(text, s);
  writeFileSync(s.file, text.slice(0, a) + "\n" + body + "\n" + text.slice(b));
}
