/** Defaults that code outside the schema needs without loading it (the bridge client's socket). */
export const DEFAULT_SOCKET_PATH = "./run/bridge.sock";
