/**
 * Whether the agent's storage is taking what it is given. A failing write (full disk, I/O
 * error, a lock held too long) never stops a mute; it is reported here, and from here in the
 * bridge's state replies, the status line and the fleet state topic, until the write succeeds.
 */
import { toError } from "../errors.ts";

export type StoragePart = "gate-state" | "audit" | "ledger-clock";

export interface StorageReport {
  ok: boolean;
  /** The parts whose last write failed, each with the failure's code (never data). */
  failing: Partial<Record<StoragePart, string>>;
  /** Audit events waiting in memory for the ledger to take them. */
  pendingAudit: number;
}

/** SQLite and file system error codes, or the first words of the message: no data, no paths. */
export function failureCode(e: unknown): string {
  const err = toError(e) as Error & { code?: unknown };
  if (typeof err.code === "string" && err.code) return err.code;
  return err.message.split(/[:\n]/)[0]!.slice(0, 60);
}

export class StorageHealth {
  readonly #failing = new Map<StoragePart, string>();
  readonly #listeners: Array<(r: StorageReport) => void> = [];
  pendingAudit = 0;

  get failing(): boolean {
    return this.#failing.size > 0;
  }

  /** Records a failed write of `part`. Returns true when this is news (the part was fine before). */
  failed(part: StoragePart, e: unknown): boolean {
    const code = failureCode(e);
    const news = this.#failing.get(part) !== code;
    this.#failing.set(part, code);
    if (news) this.#emit();
    return news;
  }

  /** Records a successful write of `part`. */
  ok(part: StoragePart): void {
    if (this.#failing.delete(part)) this.#emit();
  }

  report(): StorageReport {
    return { ok: this.#failing.size === 0, failing: Object.fromEntries(this.#failing), pendingAudit: this.pendingAudit };
  }

  onChange(fn: (r: StorageReport) => void): void {
    this.#listeners.push(fn);
  }

  #emit(): void {
    const r = this.report();
    for (const fn of this.#listeners) fn(r);
  }
}
