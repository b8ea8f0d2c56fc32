/**
 * A JSON file the agent reads (models, catalogues), and how a schema's complaint is said: one
 * place, so every such file fails the same way — with its path, and the field that is wrong.
 */
import { readFileSync } from "node:fs";
import type { z } from "zod";
import { AgentError, toError, type AgentErrorCode } from "./errors.ts";

/** The parsed file, or `code` with "cannot read <what> <path>: <why>". */
export function readJsonFile(path: string, code: AgentErrorCode, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new AgentError(code, `cannot read ${what} ${path}: ${toError(e).message}`, { cause: e });
  }
}

/** A schema's first complaint as "field.path: message". */
export function firstIssue(e: z.ZodError): string {
  return `${e.issues[0]?.path.join(".")}: ${e.issues[0]?.message}`;
}
