/**
 * Fleet policy on the device: the last good policy from the ledger at boot, then whatever
 * arrives over MQTT (fleet/<fleet>/policy and device/<id>/policy, retained). Every decision is
 * audited and reported on the retained device/<id>/state topic (applied version, policy hash,
 * status, last rejection, compliance counters — never personal data). Birth "online" and Last
 * Will "offline" on device/<id>/online. The agent works normally with the broker down.
 */
import type { StorageReport } from "../ledger/storage-health.ts";
import type { PolicyTransport } from "../ports/policy-transport.ts";
import { topics, type DeviceState } from "./topics.ts";
import { toError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { PolicyEngine } from "./engine.ts";

export interface ComplianceCounters {
  capturesKept: number;
  oldestKeptDays: number | null;
  purged: number;
  falseWakes: number;
}

export interface PolicyServiceOptions {
  engine: PolicyEngine;
  log: Logger;
  deviceId: string;
  fleet: string;
  topicPrefix: string;
  /** Stored envelope (last good) and version floor, and persistence of a new one. */
  load: () => { envelope: string | null; floor: number; source?: "fleet" | "device" };
  save: (envelope: string, floor: number, source: "fleet" | "device") => void;
  audit: (type: "policy-applied" | "policy-rejected", data: Record<string, unknown>) => void;
  /** Called after a new policy was applied. */
  onApplied: () => void;
  compliance: () => ComplianceCounters;
  /** Whether the device's storage takes its writes (a full disk is reported, never hidden). */
  storage?: () => StorageReport;
  /** Diagnostics bundles whose upstream deletion is overdue (an alert for the operator). */
  diagnosticsOverdue?: () => number;
  /** A check-out order from this device's checkout topic: carried out, or why not (checkout.ts). */
  checkout?: (text: string) => { ok: true; seq: number } | { ok: false; code: string; message: string; seq: number | null };
  /** The device profile in force (household or hotel). */
  profile?: () => "household" | "hotel" | "child";
  /** The audit chain's head (sequence and hash): a copy off the device exposes a later rewrite. */
  auditHead?: () => { seq: number; hash: string };
  now: () => number;
  /** Calls fn once after `ms` (the agent's clock; re-offering held policies). */
  after?: (ms: number, fn: () => void) => { cancel(): void };
}

export { topics } from "./topics.ts";

/** Repeated rejections of one kind (topic and code) are folded into one audit event per window. */
export const REJECTION_WINDOW_MS = 10 * 60_000;
/** How often envelopes rejected for time reasons are offered again (the clock may have been fixed). */
export const RECHECK_EVERY_MS = 60_000;

type Source = "fleet" | "device";
interface Fold {
  count: number;
  since: number;
  version: number | null;
}

export class PolicyService {
  #transport: PolicyTransport | null = null;
  /** The last rejection per topic (the state topic reports each). */
  readonly lastRejection: Record<Source, { code: string; version: number | null; at: string } | null> = { fleet: null, device: null };
  /** Per topic and code: rejections not yet audited, and when the window opened (issue 14.9). */
  readonly #folds = new Map<string, Fold>();
  /** Per topic: an envelope refused only because of the clock, offered again later (issue 14.5). */
  readonly #held = new Map<Source, string>();
  #recheck: { cancel(): void } | null = null;
  readonly t: ReturnType<typeof topics>;
  status: "default" | "applied" = "default";
  /** The topic the policy in force came from (uploads name only a fleet policy's version). */
  appliedFrom: "fleet" | "device" | null = null;
  connected = false;

  readonly o: PolicyServiceOptions;
  constructor(o: PolicyServiceOptions) {
    this.o = o;
    this.t = topics(o.topicPrefix, o.fleet, o.deviceId);
  }

  /**
   * The last good policy from the ledger (re-verified: keys may have been rotated since). Only
   * restored here; the agent applies the effective policy once its parts are running.
   */
  boot(): void {
    const stored = this.o.load();
    this.o.engine.floor = Math.max(this.o.engine.floor, stored.floor);
    if (!stored.envelope) return;
    const r = this.o.engine.restore(stored.envelope);
    if (r.ok) {
      this.status = "applied";
      this.appliedFrom = stored.source ?? "device";
    } else this.o.log.warn("the stored policy no longer verifies (key rotated?); household settings apply until a newer policy arrives", { code: r.code });
  }

  /** The last check-out order seen (state topic). */
  lastCheckout: { seq: number | null; result: string; at: string } | null = null;

  /**
   * A check-out order: carried out by the agent (o.checkout), reported on the state topic; a
   * refusal is audited like a policy's (folded), except the retained copy of the one already
   * carried out, which the broker re-delivers on every connect.
   */
  handleCheckout(payload: Buffer | string): void {
    if (payload.length === 0 || !this.o.checkout) return;
    try {
      const r = this.o.checkout(payload.toString());
      if (!r.ok && r.code === "NOT_NEWER") return;
      this.lastCheckout = { seq: r.seq, result: r.ok ? "done" : r.code, at: new Date(this.o.now()).toISOString() };
      if (!r.ok) this.#rejected("checkout", r.code, r.seq, r.message);
    } catch (e) {
      this.o.log.error("could not process a check-out order", { error: toError(e).message });
    }
    this.publishState();
  }

  /** One envelope from a topic: decide, persist, audit, apply, report. */
  handle(source: "fleet" | "device", payload: Buffer | string): void {
    try {
      this.#handle(source, payload);
    } catch (e) {
      // mqtt.js emits messages without a guard: a database error here must not crash the agent.
      this.o.log.error("could not process a policy message", { error: toError(e).message });
    }
  }

  #handle(source: Source, payload: Buffer | string): void {
    if (payload.length === 0) return; // a cleared retained message
    const text = payload.toString();
    // The broker re-delivers the retained copy of the policy in force on every connect.
    if (this.o.engine.isApplied(text)) return;
    const r = this.o.engine.offer(text);
    if (this.#held.get(source) !== text) this.#held.delete(source);
    if (r.ok) {
      this.#held.delete(source);
      this.o.save(text, this.o.engine.floor, source);
      this.status = "applied";
      this.appliedFrom = source;
      this.lastRejection[source] = null;
      this.o.audit("policy-applied", { version: r.version, hash: r.hash, source });
      this.o.log.info("fleet policy applied", { version: r.version, source });
      this.o.onApplied();
    } else {
      this.lastRejection[source] = { code: r.code, version: r.version, at: new Date(this.o.now()).toISOString() };
      if (r.code === "FROM_THE_FUTURE") this.#hold(source, text);
      this.#rejected(source, r.code, r.version, r.message);
    }
    this.publishState();
  }

  /**
   * Audits a rejection: the first of its kind (topic and code) at once, then one event per window
   * with how many more came, so junk on a policy topic cannot fill the ledger.
   */
  #rejected(source: Source | "checkout", code: string, version: number | null, reason: string): void {
    const now = this.o.now();
    const key = `${source}:${code}`;
    const fold = this.#folds.get(key);
    if (fold && now >= fold.since && now - fold.since < REJECTION_WINDOW_MS) {
      fold.count++;
      fold.version = version;
      return;
    }
    if (fold && fold.count > 0) this.o.audit("policy-rejected", { code, version: fold.version, source, repeated: fold.count });
    this.#folds.set(key, { count: 0, since: now, version });
    this.o.audit("policy-rejected", { code, version, source });
    this.o.log.warn("fleet policy rejected", { code, version, source, reason });
  }

  /** Writes the counts of folded rejections (at stop, and for tests). */
  flushRejections(): void {
    for (const [key, fold] of this.#folds) {
      if (fold.count === 0) continue;
      const [source, code] = key.split(":") as [Source, string];
      this.o.audit("policy-rejected", { code, version: fold.version, source, repeated: fold.count });
      fold.count = 0;
    }
  }

  #hold(source: Source, text: string): void {
    this.#held.set(source, text);
    this.#armRecheck();
  }

  #armRecheck(): void {
    if (this.#recheck || !this.o.after || this.#held.size === 0) return;
    this.#recheck = this.o.after(RECHECK_EVERY_MS, () => {
      this.#recheck = null;
      this.recheck();
      this.#armRecheck();
    });
  }

  /** Offers again what was refused only for the clock (a corrected clock lets it in). */
  recheck(): void {
    for (const [source, text] of [...this.#held]) this.handle(source, text);
    if (this.#held.size === 0) {
      this.#recheck?.cancel();
      this.#recheck = null;
    }
  }

  /** The device's report on its state topic (topics.ts: DeviceStateSchema). */
  state(): DeviceState {
    const e = this.o.engine;
    return {
      fleet: this.o.fleet,
      appliedVersion: e.applied?.version ?? 0,
      policyHash: e.applied?.hash ?? null,
      status: this.status,
      ...(this.o.profile ? { profile: this.o.profile() } : {}),
      ...(this.o.checkout ? { lastCheckout: this.lastCheckout } : {}),
      lastRejection: e.lastRejection,
      lastRejectionByTopic: this.lastRejection,
      compliance: this.o.compliance(),
      ...(this.o.storage ? { storage: this.o.storage() } : {}),
      ...(this.o.auditHead ? { auditHead: this.o.auditHead() } : {}),
      ...(this.o.diagnosticsOverdue ? { diagnosticsOverdue: this.o.diagnosticsOverdue() } : {}),
      at: new Date(this.o.now()).toISOString(),
    };
  }

  /** A recognised hotel command for the hotel system (not retained); false if the broker is away (it is not kept for later). */
  publishHotelCommand(payload: string): boolean {
    if (!this.#transport?.connected) return false;
    this.#transport.publish(this.t.hotelCommand, payload);
    return true;
  }

  publishState(): void {
    if (!this.#transport?.connected) return;
    this.#transport.publishRetained(this.t.state, JSON.stringify(this.state()));
  }

  /**
   * Links the service to the fleet: birth "online" and Last Will "offline" on the online topic,
   * the two policy topics subscribed, the state published on every connect.
   */
  connect(transport: PolicyTransport): void {
    this.#transport = transport;
    transport.start(
      {
        birth: { topic: this.t.online, payload: "online" },
        will: { topic: this.t.online, payload: "offline" },
        subscriptions: [this.t.fleetPolicy, this.t.devicePolicy, ...(this.o.checkout ? [this.t.checkout] : [])],
      },
      {
        connected: () => {
          this.connected = true;
          this.publishState();
          this.o.log.info("fleet broker connected");
        },
        message: (topic, payload) =>
          topic === this.t.checkout ? this.handleCheckout(payload) : this.handle(topic === this.t.devicePolicy ? "device" : "fleet", payload),
        disconnected: () => {
          this.connected = false;
          this.o.log.warn("fleet broker connection lost; reconnecting with backoff");
        },
      },
    );
  }

  async stop(): Promise<void> {
    this.#recheck?.cancel();
    this.#recheck = null;
    try {
      this.flushRejections();
    } catch (e) {
      this.o.log.error("could not record folded policy rejections", { error: toError(e).message });
    }
    const t = this.#transport;
    this.#transport = null;
    this.connected = false;
    // A clean stop says so (the Last Will is for crashes).
    await t?.stop({ topic: this.t.online, payload: "offline" });
  }
}
