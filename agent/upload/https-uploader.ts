/**
 * HTTPS uploader: one POST per upload, JSON `{ envelope, audioWav }` (base64 WAV of the
 * voice-modified audio). TLS is required unless the endpoint is on loopback; the host must be
 * on the allowlist. Each upload opens its own connection (no keep-alive, no TLS session reuse),
 * sends no cookies and no user agent, so nothing at the transport level links one upload to
 * another or to the device.
 */
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { AgentError, toError } from "../errors.ts";
import type { Uploader } from "../ports/uploader.ts";
import type { UploadEnvelope } from "./envelope.ts";

export interface HttpsUploaderOptions {
  endpoint: string;
  allowedHosts: readonly string[];
  caFile?: string | null;
  timeoutMs: number;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Checks the endpoint against the transport rules; returns the parsed URL. */
export function checkEndpoint(endpoint: string, allowedHosts: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new AgentError("UPLOAD_ENDPOINT_REFUSED", `upload endpoint ${JSON.stringify(endpoint)} is not a URL`);
  }
  if (url.username || url.password) throw new AgentError("UPLOAD_ENDPOINT_REFUSED", "upload endpoint must not carry credentials in the URL");
  const loopback = LOOPBACK.has(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new AgentError("UPLOAD_ENDPOINT_REFUSED", `upload endpoint must use https:// (plain http only to loopback), got ${url.protocol}//${url.hostname}`);
  }
  if (!allowedHosts.includes(url.hostname)) {
    throw new AgentError("UPLOAD_ENDPOINT_REFUSED", `upload host ${url.hostname} is not in upload.allowedHosts (${allowedHosts.join(", ") || "empty"})`);
  }
  return url;
}

export class HttpsUploader implements Uploader {
  readonly name: string;
  readonly #url: URL;
  readonly #ca: Buffer | undefined;

  readonly o: HttpsUploaderOptions;
  constructor(o: HttpsUploaderOptions) {
    this.o = o;
    this.#url = checkEndpoint(o.endpoint, o.allowedHosts);
    this.name = `https POST to ${this.#url.host}`;
    try {
      this.#ca = o.caFile ? readFileSync(o.caFile) : undefined;
    } catch (e) {
      throw new AgentError("UPLOAD_ENDPOINT_REFUSED", `cannot read upload.caFile ${o.caFile}: ${toError(e).message}`);
    }
  }

  send(envelope: UploadEnvelope, wav: Buffer): Promise<void> {
    const body = Buffer.from(JSON.stringify({ envelope, audioWav: wav.toString("base64") }));
    return this.#request("POST", this.#url, body, (s) => s >= 200 && s < 300).finally(() => body.fill(0));
  }

  /** POST <endpoint>/diagnostics: a bundle the household confirmed for a fault. */
  sendDiagnostics(bundle: string): Promise<void> {
    const url = new URL(this.#url.href.replace(/\/?$/, "/") + "diagnostics");
    return this.#request("POST", url, Buffer.from(bundle), (s) => s >= 200 && s < 300);
  }

  /** DELETE <endpoint>/<uploadId>, one request per id (so deletions cannot be linked either). */
  requestDeletion(uploadId: string): Promise<void> {
    const url = new URL(this.#url.href.replace(/\/?$/, "/") + encodeURIComponent(uploadId));
    // 404: the receiver does not have it (any more), which is what was asked for.
    return this.#request("DELETE", url, Buffer.alloc(0), (s) => (s >= 200 && s < 300) || s === 404);
  }

  #request(method: string, url: URL, body: Buffer, ok: (status: number) => boolean): Promise<void> {
    const req = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<void>((resolve, reject) => {
      const r = req(
        url,
        {
          method,
          agent: false,
          ca: this.#ca,
          timeout: this.o.timeoutMs,
          // Two bounds: the socket's idle timeout, and a total deadline for the whole exchange, so
          // a receiver trickling a byte now and then cannot hold a request for ever (issue 14.6).
          signal: AbortSignal.timeout(this.o.timeoutMs),
          headers: body.length ? { "content-type": "application/json", "content-length": body.length } : { "content-length": 0 },
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            const s = res.statusCode ?? 0;
            if (ok(s)) resolve();
            else reject(new AgentError("UPLOAD_FAILED", `HTTP ${s}`));
          });
          res.on("error", (e) => failed(e));
        },
      );
      r.on("timeout", () => r.destroy(new Error(`no answer within ${this.o.timeoutMs} ms`)));
      const failed = (e: unknown): void => {
        const err = toError(e);
        if (err instanceof AgentError) return reject(err);
        const timedOut = err.name === "AbortError" || err.name === "TimeoutError" || (err as NodeJS.ErrnoException).code === "ABORT_ERR";
        reject(new AgentError("UPLOAD_FAILED", timedOut ? `not done within ${this.o.timeoutMs} ms` : err.message));
      };
      r.on("error", failed);
      r.end(body);
    });
  }
}
