/**
 * A firmware simulator that speaks the real protocol over the real socket. Tests drive the
 * agent through it; the demo (`simulator.enabled`) runs one in-process so the LED is
 * acknowledged and people can see what firmware would show. Behaviour can be overridden per
 * message with `onHostMessage` (return true to suppress the default).
 */
import type { GateSnapshot, LedPattern } from "../../agent/capture/gate.machine.ts";
import { BridgeClient, type Ack, type Nack } from "../client.ts";
import { stateData, type AgentMessage } from "../protocol/messages.ts";

export interface FakeFirmwareOptions {
  socketPath: string;
  model?: string;
  /** Acknowledge LED patterns as a working LED ring would (default true). */
  ackLeds?: boolean;
  ackDelayMs?: number;
  muteSwitch?: "on" | "off";
  onHostMessage?: (m: AgentMessage) => boolean | void;
  /** Called with a one-line description of each agent → firmware message (demo output). */
  print?: (line: string) => void;
}

export class FakeFirmware {
  led: LedPattern | null = null;
  micPower: "on" | "off" | null = null;
  state: GateSnapshot | null = null;
  readonly sounds: string[] = [];
  readonly unavailable: string[] = [];
  /** Hotel commands the agent asked to read back. */
  readonly hotelCommands: Array<{ commandId: string; text: string }> = [];
  /** Keys of the notices the agent asked the speaker to say. */
  readonly notices: string[] = [];
  readonly received: AgentMessage[] = [];
  /** Pairing codes for the household page the speaker was asked to announce. */
  readonly pairingCodes: string[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #timers = new Set<NodeJS.Timeout>();

  readonly client: BridgeClient;
  readonly options: FakeFirmwareOptions;
  private constructor(client: BridgeClient, options: FakeFirmwareOptions) {
    this.client = client;
    this.options = options;
    client.onMessage((m) => this.#onMessage(m));
  }

  static async start(options: FakeFirmwareOptions): Promise<FakeFirmware> {
    const client = await BridgeClient.connect(options.socketPath);
    const fw = new FakeFirmware(client, options);
    const hello = await client.request({
      type: "hello",
      model: options.model ?? "sim-speaker",
      capabilities: ["led", "talk-button", "mute-button", ...(options.muteSwitch ? (["mute-switch"] as const) : [])],
      ...(options.muteSwitch ? { muteSwitch: options.muteSwitch } : {}),
    });
    if (hello.type === "ack" && hello.data && "state" in hello.data) fw.state = hello.data.state as GateSnapshot;
    return fw;
  }

  request(body: Record<string, unknown> & { type: string }): Promise<Ack | Nack> {
    return this.client.request(body);
  }
  mute(): Promise<Ack | Nack> {
    return this.request({ type: "mute" });
  }
  unmute(): Promise<Ack | Nack> {
    return this.request({ type: "unmute" });
  }
  pressMute(): Promise<Ack | Nack> {
    return this.request({ type: "button", button: "mute", action: "press" });
  }
  talk(action: "down" | "up"): Promise<Ack | Nack> {
    return this.request({ type: "button", button: "talk", action });
  }
  /** A person holds the talk button for `ms` once the speaker listens, then lets go; resolves when the session is over. */
  async pushToTalk(ms: number, timeoutMs = 3000): Promise<void> {
    await this.talk("down");
    await this.waitFor(() => this.led === "listening", timeoutMs, "listening LED");
    await new Promise((r) => setTimeout(r, ms));
    await this.talk("up");
    await this.waitFor(() => this.led !== "listening", timeoutMs, "session over");
  }
  muteFor(minutes: number): Promise<Ack | Nack> {
    return this.request({ type: "mute-for", minutes });
  }
  muteSwitch(on: boolean): Promise<Ack | Nack> {
    return this.request({ type: "mute-switch", state: on ? "on" : "off" });
  }
  mode(mode: "far" | "near"): Promise<Ack | Nack> {
    return this.request({ type: "mode", mode });
  }
  async getState(): Promise<GateSnapshot & { counters?: Record<string, number> }> {
    const r = await this.request({ type: "get-state" });
    if (r.type !== "ack") throw new Error(`get-state refused: ${r.code}`);
    const d = stateData(r.data);
    if (!d) throw new Error("get-state answered without the state");
    return { ...(d.state as GateSnapshot), counters: d.counters };
  }

  /** Resolves when pred() holds (checked after every agent message), or rejects after timeoutMs. */
  waitFor(pred: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(t);
        this.#waiters.delete(check);
        resolve();
      };
      const t = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.client.close();
  }

  #onMessage(m: AgentMessage): void {
    this.received.push(m);
    if (this.received.length > 1000) this.received.splice(0, 500);
    const suppressed = this.options.onHostMessage?.(m) === true;
    if (!suppressed) {
      switch (m.type) {
        case "led":
          this.led = m.pattern;
          this.options.print?.(`firmware: LED ${m.pattern}`);
          if (this.options.ackLeds !== false) {
            const t = setTimeout(() => {
              this.#timers.delete(t);
              if (!this.client.closed) void this.client.request({ type: "led-ack", pattern: m.pattern, seq: m.seq }).catch(() => undefined);
            }, this.options.ackDelayMs ?? 0);
            this.#timers.add(t);
          }
          break;
        case "mic-power":
          this.micPower = m.state;
          break;
        case "state":
          this.state = m.state as unknown as GateSnapshot;
          break;
        case "sound":
          this.sounds.push(m.name);
          this.options.print?.(`firmware: play sound "${m.name}"`);
          break;
        case "voice-unavailable":
          this.unavailable.push(m.reason);
          this.options.print?.(`firmware: voice unavailable: ${m.reason}`);
          break;
        case "hotel-command":
          this.hotelCommands.push({ commandId: m.commandId, text: m.text });
          this.options.print?.(`firmware: read back "${m.text}"`);
          break;
        case "pairing-code":
          // What the speaker would say aloud (or show) for the household page.
          this.pairingCodes.push(m.code);
          this.options.print?.(`firmware: say the pairing code ${m.code.split("").join(" ")}`);
          break;
        case "notice":
          this.notices.push(m.key);
          this.options.print?.(`firmware: say "${m.zh}"`);
          break;
        default:
          break;
      }
    }
    for (const w of [...this.#waiters]) w();
  }
}
