/** Ed25519 keys and signatures over canonical JSON (node:crypto). */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { canonicalJson } from "../ledger/audit.ts";
import type { Envelope } from "./schema.ts";

/** The bytes a signature covers: every envelope field but `sig`, canonical JSON. */
export function signedBytes(e: Omit<Envelope, "sig">): Buffer {
  return Buffer.from(canonicalJson({ policy: e.policy, version: e.version, issuedAt: e.issuedAt, keyId: e.keyId }));
}

/** A key's id: the first 16 hex digits of SHA-256 over its public key (SPKI DER). */
export function keyIdOf(pub: KeyObject): string {
  return createHash("sha256")
    .update(pub.export({ type: "spki", format: "der" }))
    .digest("hex")
    .slice(0, 16);
}

export function generateKeys(): { privatePem: string; publicPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

export function signEnvelope(privatePem: string, body: Omit<Envelope, "sig" | "keyId">): Envelope {
  const priv = createPrivateKey(privatePem);
  const keyId = keyIdOf(createPublicKey(priv));
  const unsigned = { ...body, keyId };
  return { ...unsigned, sig: sign(null, signedBytes(unsigned), priv).toString("base64") };
}

export function verifyEnvelope(e: Envelope, pub: KeyObject): boolean {
  const sig = Buffer.from(e.sig, "base64");
  // Only the canonical encoding of a 64-byte signature: no second spelling of the same bytes.
  if (sig.length !== 64 || sig.toString("base64") !== e.sig) return false;
  try {
    return verify(null, signedBytes(e), pub, sig);
  } catch {
    return false;
  }
}

export function publicKeyFromPem(pem: string): KeyObject {
  const k = createPublicKey(pem);
  if (k.asymmetricKeyType !== "ed25519") throw new Error("not an Ed25519 public key");
  return k;
}
