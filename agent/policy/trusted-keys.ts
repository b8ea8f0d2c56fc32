import type { KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Config } from "../../config/schema.ts";
import { AgentError, toError } from "../errors.ts";
import { keyIdOf, publicKeyFromPem } from "./trust.ts";

/** Trusted operator keys from local config; a key whose id does not match its file is refused. */
export function loadTrustedKeys(c: Config["policy"]): Map<string, KeyObject> {
  const out = new Map<string, KeyObject>();
  for (const k of c.trustedKeys) {
    let key: KeyObject;
    try {
      key = publicKeyFromPem(readFileSync(k.publicKeyFile, "utf8"));
    } catch (e) {
      throw new AgentError("CONFIG_INVALID", `policy.trustedKeys: ${k.publicKeyFile}: ${toError(e).message}`);
    }
    if (keyIdOf(key) !== k.keyId) throw new AgentError("CONFIG_INVALID", `policy.trustedKeys: ${k.publicKeyFile} has key id ${keyIdOf(key)}, not ${k.keyId}`);
    out.set(k.keyId, key);
  }
  return out;
}
