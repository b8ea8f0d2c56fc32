/**
 * The household page's device certificate: a self-signed ECDSA P-256 X.509 v3 certificate made
 * with node:crypto alone (no openssl on the device), generated on first use when the page is
 * served beyond loopback, and made again when it nears its end or the names it must cover change.
 * Browsers warn about a self-signed certificate; the page's pairing screen and `spa page pair`
 * show its SHA-256 fingerprint so the household can compare it with what the phone shows.
 *
 * DER encoding (ITU-T X.690) of the few types a certificate needs; RFC 5280 for the structure.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { makeDirs } from "../fs-dirs.ts";

const DAY_MS = 86_400_000;
/** 397 days: within what browsers accept for a server certificate's lifetime. */
export const CERT_DAYS = 397;
/** Made again when fewer days than this are left. */
const RENEW_DAYS = 30;

const tlv = (tag: number, body: Buffer): Buffer => {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
};
const seq = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => tlv(0x31, Buffer.concat(parts));
const oid = (dotted: string): Buffer => {
  const [a, b, ...rest] = dotted.split(".").map(Number) as [number, number, ...number[]];
  const bytes = [40 * a + b];
  for (const v of rest) {
    const digits = [v & 0x7f];
    for (let x = v >>> 7; x > 0; x >>>= 7) digits.unshift((x & 0x7f) | 0x80);
    bytes.push(...digits);
  }
  return tlv(0x06, Buffer.from(bytes));
};
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, "utf8"));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
/** A BIT STRING: its first octet counts the unused bits at the end (DER: trailing zero bits of a named-bit list are dropped). */
const bits = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 + n, inner);
/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
const time = (ms: number): Buffer => {
  const iso = new Date(ms).toISOString(); // 2026-12-03T08:00:00.000Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "") + "Z";
  return Number(iso.slice(0, 4)) < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), "ascii")) : tlv(0x18, Buffer.from(digits, "ascii"));
};
const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

/** What a name on the certificate is: an IP address (v4 or v6) or a host name. */
function generalName(name: string): Buffer {
  const v = isIP(name);
  if (v === 4) return tlv(0x87, Buffer.from(name.split(".").map(Number)));
  if (v === 6) return tlv(0x87, ipv6Bytes(name));
  return tlv(0x82, Buffer.from(name, "ascii"));
}

function ipv6Bytes(s: string): Buffer {
  const [head, tail] = s.includes("::") ? (s.split("::") as [string, string]) : [s, ""];
  const parse = (p: string): number[] => (p ? p.split(":").map((h) => parseInt(h, 16)) : []);
  const h = parse(head);
  const t = parse(tail);
  const groups = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

export interface DeviceCert {
  /** PEM certificate and PEM PKCS#8 private key, for https.createServer. */
  cert: string;
  key: string;
  /** SHA-256 fingerprint as the browser shows it (AA:BB:…). */
  fingerprint: string;
  validTo: number;
  names: string[];
}

/** A new self-signed certificate for these names (IP addresses and host names), valid from an hour ago. */
export function makeCert(names: string[], now: number, commonName = "speaker-privacy-agent"): DeviceCert {
  if (names.length === 0) throw new Error("a certificate needs at least one name");
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const serial = randomBytes(16);
  // Positive (top bit clear) and minimal (a first octet of 0 would be a non-minimal INTEGER, which strict parsers refuse).
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const subject = seq(set(seq(oid("2.5.4.3"), utf8(commonName))));
  const notBefore = now - 3_600_000;
  const notAfter = now + CERT_DAYS * DAY_MS;
  const ext = (id: string, critical: boolean, value: Buffer): Buffer => seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), octets(value));
  const extensions = seq(
    ext("2.5.29.19", true, seq()), // basicConstraints: not a CA
    ext("2.5.29.15", true, bits(Buffer.from([0x80]), 7)), // keyUsage: digitalSignature (bit 0; 7 unused)
    ext("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))), // extKeyUsage: serverAuth
    ext("2.5.29.17", false, seq(...names.map(generalName))), // subjectAltName
  );
  const tbs = seq(
    explicit(0, tlv(0x02, Buffer.from([2]))), // v3
    tlv(0x02, serial),
    ECDSA_SHA256,
    subject,
    seq(time(notBefore), time(notAfter)),
    subject,
    spki,
    tlv(0xa3, extensions),
  );
  const signature = sign("sha256", tbs, { key: privateKey, dsaEncoding: "der" });
  const der = seq(tbs, ECDSA_SHA256, bits(signature));
  const cert = `-----BEGIN CERTIFICATE-----\n${der
    .toString("base64")
    .match(/.{1,64}/g)!
    .join("\n")}\n-----END CERTIFICATE-----\n`;
  const key = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  return { cert, key, fingerprint: new X509Certificate(cert).fingerprint256, validTo: notAfter, names: [...names] };
}

/** The names a certificate covers (from its subjectAltName), as makeCert takes them. */
function namesOf(x: X509Certificate): string[] {
  return (x.subjectAltName ?? "")
    .split(", ")
    .filter(Boolean)
    .map((s) => s.replace(/^(DNS|IP Address):/, ""));
}

/**
 * The certificate in `dir` (cert.pem, key.pem; the key readable by the agent alone), made on
 * first use and made again when it has under 30 days left, does not cover every name asked for,
 * or does not match its key.
 */
export function deviceCert(dir: string, names: string[], now: number): DeviceCert & { made: boolean } {
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  if (existsSync(certFile) && existsSync(keyFile)) {
    try {
      const cert = readFileSync(certFile, "utf8");
      const key = readFileSync(keyFile, "utf8");
      const x = new X509Certificate(cert);
      const nameKey = (n: string): string => generalName(n.toLowerCase()).toString("hex");
      const covered = new Set(namesOf(x).map(nameKey));
      const validTo = Date.parse(x.validTo);
      const keyMatches = x.checkPrivateKey(createPrivateKey(key)) && x.verify(x.publicKey);
      if (keyMatches && validTo - now > RENEW_DAYS * DAY_MS && names.every((n) => covered.has(nameKey(n))))
        return { cert, key, fingerprint: x.fingerprint256, validTo, names: namesOf(x), made: false };
    } catch {
      /* unreadable or damaged: made again below */
    }
  }
  const c = makeCert(names, now);
  makeDirs(dir, 0o700);
  writeFileSync(keyFile, c.key, { mode: 0o600 });
  writeFileSync(certFile, c.cert, { mode: 0o644 });
  return { ...c, made: true };
}
