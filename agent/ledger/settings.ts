/** The ledger's settings table: its row names, and reading and writing them. */
import type { Db } from "./agent-db.ts";

/** The ledger key of the last good fleet policy envelope. */
export const POLICY_SETTING = "policy.envelope";
/** The highest policy version ever applied (replay floor; kept through wipes). */
export const POLICY_FLOOR_SETTING = "policy.floor";
/** Which topic the stored policy came from ("fleet" or "device"). */
export const POLICY_SOURCE_SETTING = "policy.source";

/** The device profile the agent last ran with ("household" or "hotel"): a change is audited. Kept through wipes (ledger.*). */
export const PROFILE_SETTING = "ledger.profile";
/** The highest hotel check-out sequence carried out (replay floor; kept through wipes, policy.*). */
export const CHECKOUT_FLOOR_SETTING = "policy.checkout.floor";

/** A guardian's hours (agent/guardian/hours.ts windows, JSON); absent: no restriction. A household setting: a wipe removes it. */
export const GUARDIAN_HOURS_SETTING = "guardian.hours";

/** Household and ledger settings (name → value), e.g. the device profile and the policy in force. */
export class Settings {
  readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  get(name: string): string | null {
    return (this.db.prepare("SELECT value FROM settings WHERE name = ?").get(name) as { value: string } | undefined)?.value ?? null;
  }

  delete(name: string): void {
    this.db.prepare("DELETE FROM settings WHERE name = ?").run(name);
  }

  set(name: string, value: string, at: number): void {
    this.db
      .prepare(
        "INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      )
      .run(name, value, at);
  }
}
