/**
 * Starting the household page: where it listens, the certificate when it is served over HTTPS,
 * the addresses a phone opens, and the first pairing code (printed for the demo and announced
 * by the speaker).
 */
import { hostname, networkInterfaces } from "node:os";
import { join } from "node:path";
import type { Config } from "../../config/schema.ts";
import type { Logger } from "../log.ts";
import { deviceCert } from "./cert.ts";
import { isLoopback, PageServer, type PageBackend } from "./server.ts";

const WILDCARD = new Set(["0.0.0.0", "::"]);

/** The addresses of this machine a phone can reach for a page bound to `bind` (every LAN address for a wildcard). */
export function reachableHosts(bind: string): string[] {
  if (!WILDCARD.has(bind)) return [bind];
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && (a.family === "IPv4" || bind === "::") && !a.address.startsWith("fe80:")) out.push(a.address);
  return out.length ? out : ["127.0.0.1"];
}

const urlHost = (h: string): string => (h.includes(":") ? `[${h}]` : h);

export interface StartedPage {
  server: PageServer;
  urls: string[];
  /** The certificate's SHA-256 fingerprint (HTTPS), to compare with what the phone shows. */
  fingerprint: string | null;
}

export async function startPage(config: Config, backend: PageBackend, log: Logger, now: number): Promise<StartedPage> {
  const p = config.page;
  const useTls = p.https === "always" || !isLoopback(p.bind);
  let tls: { cert: string; key: string } | null = null;
  let fingerprint: string | null = null;
  const hosts = reachableHosts(p.bind);
  if (useTls) {
    const host = hostname();
    const names = [...new Set([...hosts, "localhost", "127.0.0.1", host, `${host}.local`])];
    const c = deviceCert(join(config.dataDir, "page"), names, now);
    if (c.made) log.info("made the household page's certificate", { validDays: Math.round((c.validTo - now) / 86_400_000) });
    tls = { cert: c.cert, key: c.key };
    fingerprint = c.fingerprint;
  }
  const server = new PageServer({ bind: p.bind, port: p.port, tls, sessionDays: p.sessionDays, log, backend });
  await server.start();
  const urls = hosts.map((h) => `${useTls ? "https" : "http"}://${urlHost(h)}:${server.port}/`);
  return { server, urls, fingerprint };
}
