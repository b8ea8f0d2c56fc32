/**
 * One error class with stable string codes. Tests assert codes, never message wording;
 * the code is appended to the message so it survives log flattening.
 */
/**
 * Every error code with who must act on it: "user" (the one-line message says what to fix: a
 * config, a file, a missing device, a refused request; the CLI exits 1) or "program" (a fault of
 * ours or of a dependency, reported with its stack; exit 2). The code type is derived from this
 * table, so a new code cannot exist without its blame.
 */
export const ERROR_BLAME = {
  CONFIG_INVALID: "user",
  MIC_UNAVAILABLE: "user",
  RECORDER_NOT_FOUND: "user",
  RECORDER_EXITED: "user",
  RECORDER_WONT_DIE: "program",
  AUDIO_FORMAT: "user",
  WAKE_ENGINE_UNAVAILABLE: "program",
  WAKE_MODEL_INVALID: "user",
  ENROLL_REJECTED: "user",
  AUDIO_FILE: "user",
  BUTTONS_UNAVAILABLE: "user",
  BRIDGE_PROTOCOL: "program",
  BRIDGE_SOCKET: "user",
  BRIDGE_TIMEOUT: "user",
  LEDGER_OPEN_FAILED: "user",
  FILE_ERROR: "user",
  UPLOAD_ENDPOINT_REFUSED: "user",
  UPLOAD_FAILED: "program",
  USAGE: "user",
  INTERNAL: "program",
} as const satisfies Record<string, "user" | "program">;

export type AgentErrorCode = keyof typeof ERROR_BLAME;
export type Blame = (typeof ERROR_BLAME)[AgentErrorCode];

export class AgentError extends Error {
  override readonly name = "AgentError";
  readonly context: Record<string, unknown> | undefined;
  readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(`${message} (${code})`, { cause: options.cause });
    this.code = code;
    this.context = options.context;
  }

  /** Who must act on it (ERROR_BLAME). */
  get blame(): Blame {
    return ERROR_BLAME[this.code];
  }
}

export const isAgentError = (e: unknown, code?: AgentErrorCode): e is AgentError => e instanceof AgentError && (code === undefined || e.code === code);

/** Normalises anything thrown into an Error, so callers never cast. */
export function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(typeof e === "string" ? e : JSON.stringify(e));
}

export function assertNever(x: never): never {
  throw new AgentError("INTERNAL", `unhandled variant ${JSON.stringify(x)}`);
}

/** Node's file system errors carry the path and the system call. */
interface FsError extends Error {
  code: string;
  path?: string;
  dest?: string;
  syscall?: string;
}

const isFsError = (e: unknown): e is FsError =>
  e instanceof Error && typeof (e as FsError).code === "string" && /^E[A-Z]+$/.test((e as FsError).code) && typeof (e as FsError).syscall === "string";

const CAUSES: Record<string, string> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "it is a directory",
  EEXIST: "it already exists",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
};

/** A file system error as one line naming the path and the cause (FILE_ERROR); anything else unchanged. */
export function asFileError(e: unknown): unknown {
  if (!isFsError(e)) return e;
  const path = e.dest ?? e.path ?? "(unknown path)";
  const verb = e.syscall === "open" || e.syscall === "write" ? "write or read" : e.syscall;
  return new AgentError("FILE_ERROR", `cannot ${verb} ${path}: ${CAUSES[e.code] ?? e.code}`, { cause: e });
}
