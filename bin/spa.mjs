#!/usr/bin/env node
// Entry point of the `spa` command. The sources are TypeScript, run through tsx's loader.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../agent/cli.ts");
process.exitCode = await main(process.argv.slice(2));
