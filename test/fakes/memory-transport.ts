/**
 * An in-memory broker and policy transport for tests of the fleet logic without mosquitto:
 * retained messages, subscriptions by exact topic, a Last Will on a crash, a broker that can go
 * away and come back (its clients reconnect by themselves). Deliveries are asynchronous, as over
 * a network. Passes test/contracts/policy-transport.contract.ts like the MQTT adapter.
 */
import type { PolicyTransport, TransportEvents, TransportMessage } from "../../agent/ports/policy-transport.ts";

const later = (fn: () => void): void => void setImmediate(fn);

export class MemoryBroker {
  readonly retained = new Map<string, string>();
  readonly #clients = new Set<MemoryTransport>();
  #up = true;

  get up(): boolean {
    return this.#up;
  }

  /** Publishes as any client would; "" clears a retained message. */
  publish(topic: string, payload: string, retain: boolean): void {
    if (retain) {
      if (payload === "") this.retained.delete(topic);
      else this.retained.set(topic, payload);
    }
    for (const c of this.#clients) c.deliver(topic, payload);
  }

  /** The broker goes away: every link drops (no wills: nobody is left to publish them). */
  down(): void {
    this.#up = false;
    for (const c of [...this.#clients]) c.linkLost();
  }

  /** The broker is back: every started transport reconnects. */
  back(): void {
    this.#up = true;
    for (const c of [...this.#waiting]) c.tryConnect();
  }

  readonly #waiting = new Set<MemoryTransport>();
  attach(c: MemoryTransport): void {
    this.#waiting.delete(c);
    this.#clients.add(c);
  }
  detach(c: MemoryTransport, reconnect: boolean): void {
    this.#clients.delete(c);
    if (reconnect) this.#waiting.add(c);
    else this.#waiting.delete(c);
  }
}

export class MemoryTransport implements PolicyTransport {
  readonly #broker: MemoryBroker;
  #o: { birth: TransportMessage; will: TransportMessage; subscriptions: string[] } | null = null;
  #events: TransportEvents | null = null;
  #stopped = false;
  connected = false;

  constructor(broker: MemoryBroker) {
    this.#broker = broker;
  }

  start(o: { birth: TransportMessage; will: TransportMessage; subscriptions: string[] }, events: TransportEvents): void {
    this.#o = o;
    this.#events = events;
    this.#broker.detach(this, true);
    later(() => this.tryConnect());
  }

  tryConnect(): void {
    if (this.#stopped || this.connected || !this.#broker.up || !this.#o) return;
    this.#broker.attach(this);
    this.connected = true;
    this.#broker.publish(this.#o.birth.topic, this.#o.birth.payload, true);
    this.#events!.connected();
    for (const t of this.#o.subscriptions) {
      const r = this.#broker.retained.get(t);
      if (r !== undefined) later(() => this.connected && this.#events!.message(t, Buffer.from(r)));
    }
  }

  deliver(topic: string, payload: string): void {
    if (!this.connected || !this.#o?.subscriptions.includes(topic)) return;
    later(() => this.connected && this.#events!.message(topic, Buffer.from(payload)));
  }

  linkLost(): void {
    if (!this.connected) return;
    this.connected = false;
    this.#broker.detach(this, !this.#stopped);
    this.#events!.disconnected();
  }

  /** A crash: the link drops without a goodbye, so the broker publishes the will. */
  crash(): void {
    if (!this.connected) return;
    this.#stopped = true;
    this.connected = false;
    this.#broker.detach(this, false);
    this.#broker.publish(this.#o!.will.topic, this.#o!.will.payload, true);
  }

  publishRetained(topic: string, payload: string): void {
    if (!this.connected) return;
    this.#broker.publish(topic, payload, true);
  }

  publish(topic: string, payload: string): void {
    if (!this.connected) return;
    this.#broker.publish(topic, payload, false);
  }

  async stop(last?: TransportMessage): Promise<void> {
    this.#stopped = true;
    if (this.connected && last) this.#broker.publish(last.topic, last.payload, true);
    this.connected = false;
    this.#broker.detach(this, false);
  }
}
