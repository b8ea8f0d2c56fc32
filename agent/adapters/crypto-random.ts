import { randomBytes } from "node:crypto";

/** A uniform number in [0, 1) from the operating system's CSPRNG (48 bits). */
export function cryptoUniform(): number {
  return randomBytes(6).readUIntBE(0, 6) / 2 ** 48;
}
