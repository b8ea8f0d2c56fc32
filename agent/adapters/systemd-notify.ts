/**
 * The service manager's side channel (sd_notify): READY=1 once the microphone gate is up,
 * WATCHDOG=1 from the main loop, STOPPING=1 on the way out. Node has no Unix datagram sockets,
 * so each message goes through systemd's own `systemd-notify` (which waits until systemd has
 * taken the message, so it is attributed to this service; the unit says NotifyAccess=all).
 * Without $NOTIFY_SOCKET (not started by systemd, or Type=simple) nothing is sent.
 *
 * The watchdog pings come from timers on the event loop: if the loop stalls (a runaway
 * computation, a blocked call), the pings stop, systemd kills the service's whole control group
 * (the recorder with it: the microphone closes) and starts it again, muted if it was muted.
 */
import { spawn } from "node:child_process";
import type { Clock, TimerHandle } from "../ports/clock.ts";
import { Millis } from "../units.ts";

export interface NotifyEnv {
  NOTIFY_SOCKET?: string | undefined;
  WATCHDOG_USEC?: string | undefined;
  WATCHDOG_PID?: string | undefined;
}

/** Sends one message; resolves once it was handed over (or failed). */
export type Send = (assignments: string[]) => Promise<void> | void;

/**
 * Runs `systemd-notify A=B …`, one at a time in the order asked (two processes started together
 * may reach systemd in either order: READY must never overtake STOPPING); reports a failure once
 * (the agent itself runs on).
 */
export function systemdNotifySend(onError: (message: string) => void): Send {
  let reported = false;
  let queue = Promise.resolve();
  return (assignments) => {
    queue = queue.then(
      () =>
        new Promise<void>((done) => {
          const child = spawn("systemd-notify", assignments, { stdio: "ignore" });
          child.on("error", (e) => {
            if (!reported) {
              reported = true;
              onError(`systemd-notify: ${e.message}`);
            }
            done();
          });
          child.on("exit", () => done());
        }),
    );
    return queue;
  };
}

export class ServiceNotifier {
  readonly #send: Send | null;
  readonly #clock: Clock;
  /** Half the watchdog timeout (systemd's advice), or null when no watchdog is asked for. */
  readonly watchdogIntervalMs: number | null;
  #timer: TimerHandle | null = null;

  constructor(env: NotifyEnv, clock: Clock, send: Send, pid = process.pid) {
    this.#send = env.NOTIFY_SOCKET ? send : null;
    this.#clock = clock;
    const usec = Number(env.WATCHDOG_USEC);
    const forUs = env.WATCHDOG_PID === undefined || env.WATCHDOG_PID === "" || Number(env.WATCHDOG_PID) === pid;
    this.watchdogIntervalMs = this.#send && forUs && Number.isFinite(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : null;
  }

  get enabled(): boolean {
    return this.#send !== null;
  }

  /** The gate is up: READY=1, then watchdog pings from the event loop. */
  ready(status: string): void {
    if (!this.#send) return;
    this.#send(["READY=1", `STATUS=${status}`, `MAINPID=${process.pid}`]);
    if (this.watchdogIntervalMs !== null) this.#schedule(this.watchdogIntervalMs);
  }

  status(text: string): void {
    this.#send?.([`STATUS=${text}`]);
  }

  /** STOPPING=1; resolves once it (and everything sent before it) was handed over. */
  async stopping(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = null;
    await this.#send?.(["STOPPING=1", "STATUS=stopping (microphone first)"]);
  }

  #schedule(ms: number): void {
    this.#timer = this.#clock.after(Millis(ms), () => {
      this.#send?.(["WATCHDOG=1"]);
      this.#schedule(ms);
    });
  }
}
