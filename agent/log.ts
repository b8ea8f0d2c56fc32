/**
 * Structured logging to stderr. Only named fields are logged, and every string field passes
 * through redact(): secrets (AccessKeys, passwords, tokens) and identifiers registered at start
 * (device id, serial, account) never reach a log line. Logs never carry audio or transcripts:
 * callers pass counts and reasons, not data.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}

const secrets = new Set<string>();

/** Registers a value that must never appear in a log line (an AccessKey, a device serial...). */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) secrets.add(value);
}

/** Patterns that look like credentials even when not registered. */
const SECRET_PATTERNS: RegExp[] = [/(access[_-]?key|password|passwd|token|secret)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi, /(mqtts?:\/\/[^:/\s]+:)[^@\s]+@/gi];

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join("[redacted]");
  out = out.replace(SECRET_PATTERNS[0]!, "$1$2[redacted]");
  out = out.replace(SECRET_PATTERNS[1]!, "$1[redacted]@");
  return out;
}

export interface LogSink {
  write(line: string): void;
}

export function createLogger(opts: { name: string; level: LogLevel; sink?: LogSink; json?: boolean }): Logger {
  const sink = opts.sink ?? { write: (l: string) => process.stderr.write(l) };
  const make = (name: string): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
      if (ORDER[level] < ORDER[opts.level]) return;
      const safe: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(fields ?? {})) safe[k] = typeof v === "string" ? redact(v) : v;
      if (opts.json) {
        sink.write(JSON.stringify({ t: new Date().toISOString(), level, name, msg: redact(msg), ...safe }) + "\n");
      } else {
        const extra = Object.keys(safe).length
          ? " " +
            Object.entries(safe)
              .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
              .join(" ")
          : "";
        sink.write(`${level.toUpperCase().padEnd(5)} [${name}] ${redact(msg)}${extra}\n`);
      }
    };
    return {
      debug: (m, f) => emit("debug", m, f),
      info: (m, f) => emit("info", m, f),
      warn: (m, f) => emit("warn", m, f),
      error: (m, f) => emit("error", m, f),
      child: (n) => make(`${name}:${n}`),
    };
  };
  return make(opts.name);
}

/** A logger that drops everything (tests that do not inspect logs). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** The last lines the agent logged, in RAM only (a diagnostics bundle takes them, redacted again). */
export class LogRing implements LogSink {
  readonly #lines: string[] = [];
  readonly max: number;
  readonly next: LogSink | null;
  constructor(max = 300, next: LogSink | null = null) {
    this.max = max;
    this.next = next;
  }
  write(line: string): void {
    this.#lines.push(line.replace(/\n$/, ""));
    if (this.#lines.length > this.max) this.#lines.splice(0, this.#lines.length - this.max);
    this.next?.write(line);
  }
  lines(): string[] {
    return [...this.#lines];
  }
}
