// Worker-thread entry for scripts/train-wake: workers do not inherit tsx's loader, so register it
// here before loading the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./train-worker.ts");
