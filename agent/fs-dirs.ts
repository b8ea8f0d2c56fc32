/**
 * Creating directories the user names (export targets, key and template directories, the data
 * dir) without `mkdirSync({ recursive: true })`, which never returns for a path under /proc
 * (issue 14.17): the nearest existing ancestor must be a directory, then each missing part is
 * created in turn. Failures are FILE_ERROR, one line naming the path.
 */
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { AgentError, asFileError } from "./errors.ts";

export function makeDirs(path: string, mode = 0o700): void {
  const target = resolve(path);
  const missing: string[] = [];
  let p = target;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw asFileError(e);
      missing.unshift(p);
      const up = dirname(p);
      if (up === p) break;
      p = up;
      continue;
    }
    if (!st.isDirectory()) throw new AgentError("FILE_ERROR", `cannot create ${target}: ${p} is not a directory`);
    break;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir, { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST" && statSync(dir).isDirectory()) continue;
      throw asFileError(e);
    }
  }
}
