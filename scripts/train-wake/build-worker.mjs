// Worker-thread entry for the scene pool (pool.ts): workers do not inherit tsx's loader, so
// register it here before loading the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./build-worker.ts");
