import type { GateSnapshot, LedPattern } from "../capture/gate.machine.ts";

/** What the agent tells the firmware. Implemented by the bridge server (broadcast to all clients). */
export interface BridgeLink {
  /** `seq` numbers LED commands; firmware echoes it in led-ack so a late ack cannot count for a newer LED. */
  led(pattern: LedPattern, seq: number): void;
  micPower(on: boolean): void;
  sound(name: string): void;
  voiceUnavailable(reason: string): void;
  state(snapshot: GateSnapshot): void;
  /** Number of firmware clients connected now. */
  readonly clients: number;
}
