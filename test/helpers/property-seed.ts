/**
 * Preloaded into every test process by scripts/run-tests.mjs: one fast-check seed per process,
 * from SPA_PROPERTY_SEED or else random. A failing property prints it (fast-check's
 * "{ seed: N, path: … }" line, and "property seed N" here at exit), and
 * `SPA_PROPERTY_SEED=N node scripts/run-tests.mjs FILE` runs the same sequences again.
 */
import fc from "fast-check";

const fromEnv = process.env.SPA_PROPERTY_SEED;
const seed = fromEnv !== undefined && fromEnv !== "" ? Number(fromEnv) : (Date.now() ^ (process.pid << 8)) | 0;
if (!Number.isSafeInteger(seed)) throw new Error(`SPA_PROPERTY_SEED must be an integer, got "${fromEnv}"`);
fc.configureGlobal({ seed });
process.on("exit", (code) => {
  if (code !== 0) process.stdout.write(`property seed ${seed} (re-run: SPA_PROPERTY_SEED=${seed})\n`);
});
