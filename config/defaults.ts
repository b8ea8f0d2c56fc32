/** Defaults that code outside the schema needs without loading it (the bridge client's socket, the fleet topics). */
export const DEFAULT_SOCKET_PATH = "./run/bridge.sock";
export const DEFAULT_TOPIC_PREFIX = "spa/v1";
