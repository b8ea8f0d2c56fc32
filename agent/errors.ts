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
  | "UPLOAD_ENDPOINT_REFUSED"
  | "UPLOAD_FAILED"
  | "USAGE"
  | "INTERNAL";

export class AgentError extends Error {
  override readonly name = "AgentError";
  readonly context: Record<string, unknown> | undefined;
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(`${message} (${code})`, { cause: options.cause });
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
