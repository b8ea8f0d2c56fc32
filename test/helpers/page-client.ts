/** A small HTTP(S) client for the household page's tests: raw requests, a cookie kept per client, the device's certificate trusted. */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface PageResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): Record<string, unknown>;
}

export class PageClient {
  readonly base: URL;
  readonly ca: string | undefined;
  cookie: string | null = null;
  csrf: string | null = null;

  constructor(base: string, ca?: string) {
    this.base = new URL(base);
    this.ca = ca;
  }

  send(
    method: string,
    path: string,
    opts: { headers?: Record<string, string>; body?: string | Buffer | undefined; json?: unknown } = {},
  ): Promise<PageResponse> {
    const body = opts.json !== undefined ? JSON.stringify(opts.json) : opts.body;
    const headers: Record<string, string> = { ...(opts.json !== undefined ? { "content-type": "application/json" } : {}), ...opts.headers };
    // Always framed by its length: Node sends a GET's or DELETE's body unframed otherwise, and the server would read it as the next request.
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    if (this.cookie && !("cookie" in headers)) headers.cookie = this.cookie;
    if (this.csrf && method !== "GET" && !("x-csrf-token" in headers)) headers["x-csrf-token"] = this.csrf;
    const https = this.base.protocol === "https:";
    const req = (https ? httpsRequest : httpRequest)({
      host: this.base.hostname.replace(/^\[|\]$/g, ""),
      port: this.base.port,
      method,
      path,
      headers,
      ...(https ? { ca: this.ca, servername: undefined } : {}),
    });
    return new Promise((resolve, reject) => {
      req.on("error", reject);
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString("utf8")) as Record<string, unknown> });
        });
        res.on("error", reject);
      });
      req.end(body);
    });
  }

  /** Pairs with a code: keeps the session cookie and CSRF token. */
  async pair(code: string): Promise<PageResponse> {
    const r = await this.send("POST", "/pair", { json: { code } });
    if (r.status === 200) {
      const set = ([] as string[]).concat(r.headers["set-cookie"] ?? [])[0]!;
      this.cookie = set.split(";")[0]!;
      this.csrf = r.json().csrf as string;
    }
    return r;
  }
}
