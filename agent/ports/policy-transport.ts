/**
 * How fleet policy reaches the device and the device's state reaches the operators: a
 * publish/subscribe link with retained messages and a last will (MQTT on a device; an in-memory
 * broker in tests). Both implementations pass test/contracts/policy-transport.contract.ts.
 */
export interface TransportMessage {
  topic: string;
  payload: string;
}

export interface TransportEvents {
  /** (Re)connected: subscriptions are in place and their retained messages follow. */
  connected(): void;
  /** A message on a subscribed topic (retained ones after every connect). */
  message(topic: string, payload: Buffer): void;
  /** The link dropped; the transport reconnects by itself. */
  disconnected(): void;
}

export interface PolicyTransport {
  readonly connected: boolean;
  /**
   * Starts connecting (and reconnecting, with backoff, for as long as it runs). On each connect it
   * publishes `birth` (retained), subscribes to `subscriptions`, then reports connected. `will`
   * is published (retained) by the other side if the link dies without stop().
   */
  start(o: { birth: TransportMessage; will: TransportMessage; subscriptions: string[] }, events: TransportEvents): void;
  /** A retained message at QoS 1; dropped while disconnected (the state is published again on connect). */
  publishRetained(topic: string, payload: string): void;
  /** A message at QoS 1, not retained (an event, e.g. a hotel command); dropped while disconnected. */
  publish(topic: string, payload: string): void;
  /** Publishes `last` (retained) if connected, then closes for good. */
  stop(last?: TransportMessage): Promise<void>;
}
