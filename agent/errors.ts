/**
 * One error class with stable string codes. Tests assert codes, never message wording;
 * the code is appended to the message so it survives log flattening.
 */
export type AgentErrorCode =
  | "CONFIG_INVALID"
  | "MIC_UNAVAILABLE"
  | "RECORDER_NOT_FOUND"
  | "RECORDER_EXITED"
  | "RECORDER_WONT_DIE"
  | "AUDIO_FORMAT"
  | "WAKE_ENGINE_UNAVAILABLE"
  | "WAKE_MODEL_INVALID"
  | "ENROLL_REJECTED"
  | "AUDIO_FILE"
  | "BUTTONS_UNAVAILABLE"
  | "BRIDGE_PROTOCOL"
  | "BRIDGE_SOCKET"
  | "BRIDGE_TIMEOUT"
  | "LEDGER_OPEN_FAILED"
  | "FILE_ERROR"
  | "UPLOAD_ENDPOINT_REFUSED"
  | "UPLOAD_FAILED"
  | "USAGE"
  | "INTERNAL";

export class AgentError extends Error {
  override readonly name = "AgentError";
  readonly context: Record<string, unknown> | undefined;
  readonly code: AgentErrorCode;
  constructor(
    code: AgentErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(`${message} (${code})`, { cause: options.cause });
    this.code = code;
    this.context = options.context;
  }
}

export const isAgentError = (e: unknown, code?: AgentErrorCode): e is AgentError =>
  e instanceof AgentError && (code === undefined || e.code === code);

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

const isFsError = (e: unknown): e is FsError => e instanceof Error && typeof (e as FsError).code === "string" && /^E[A-Z]+$/.test((e as FsError).code) && typeof (e as FsError).syscall === "string";

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
