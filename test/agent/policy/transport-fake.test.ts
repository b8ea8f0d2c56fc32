/** The in-memory policy transport passes the same contract as the MQTT adapter. */
import { MemoryBroker, MemoryTransport } from "../../fakes/memory-transport.ts";
import { policyTransportContract } from "../../contracts/policy-transport.contract.ts";

policyTransportContract("in-memory fake", async () => {
  const broker = new MemoryBroker();
  return {
    make: () => new MemoryTransport(broker),
    publishRetained: async (topic, payload) => broker.publish(topic, payload, true),
    retained: async (topic) => broker.retained.get(topic) ?? null,
    brokerDown: async () => broker.down(),
    brokerBack: async () => broker.back(),
    close: async () => undefined,
  };
});
