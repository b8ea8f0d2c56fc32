/** A real local HTTPS upload receiver with a self-signed certificate made by openssl. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: Buffer;
}

/** Writes key.pem and cert.pem (CN and SAN 127.0.0.1) into dir; returns their paths. */
export function selfSignedCert(dir: string): { key: string; cert: string } {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  return { key, cert };
}

export class HttpsReceiver {
  readonly received: Received[] = [];
  /** Status to answer with (e.g. 503 to make the agent retry). */
  status = 200;
  #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(pem: { key: string; cert: string }, port = 0): Promise<HttpsReceiver> {
    let self: HttpsReceiver | null = null;
    const server = createServer({ key: readFileSync(pem.key), cert: readFileSync(pem.cert) }, (req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (d: Buffer) => parts.push(d));
      req.on("end", () => {
        self!.received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(parts) });
        res.writeHead(self!.status).end();
      });
    });
    self = new HttpsReceiver(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    return self;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Upload ids received, in order (duplicates kept). */
  uploadIds(): string[] {
    return this.received.map((r) => (JSON.parse(r.body.toString()) as { envelope: { uploadId: string } }).envelope.uploadId);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const { createServer: tcp } = await import("node:net");
  return new Promise((resolve) => {
    const s = tcp().listen(0, "127.0.0.1", () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}
