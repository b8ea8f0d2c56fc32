// Worker-thread entry for scripts/train-wake (build-worker.ts). Node 24 loads the TypeScript worker
// itself; an older Node with tsx installed registers tsx's loader first.
if (!process.features.typescript) {
  const { register } = await import("tsx/esm/api");
  register();
}
await import("./build-worker.ts");
