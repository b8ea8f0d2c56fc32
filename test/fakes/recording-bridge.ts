/** A BridgeLink that records what the agent told the firmware. */
import type { GateSnapshot, LedPattern } from "../../agent/capture/gate.machine.ts";
import type { BridgeLink } from "../../agent/ports/bridge-link.ts";

export class RecordingBridge implements BridgeLink {
  readonly leds: LedPattern[] = [];
  readonly micPowers: boolean[] = [];
  readonly sounds: string[] = [];
  readonly unavailable: string[] = [];
  readonly states: GateSnapshot[] = [];
  clients = 1;
  led(pattern: LedPattern, _seq: number): void {
    this.leds.push(pattern);
  }
  micPower(on: boolean): void {
    this.micPowers.push(on);
  }
  sound(name: string): void {
    this.sounds.push(name);
  }
  voiceUnavailable(reason: string): void {
    this.unavailable.push(reason);
  }
  state(snapshot: GateSnapshot): void {
    this.states.push(snapshot);
  }
}
