/**
 * The household page's HTTP(S) server (issue 19): the page itself (three files shipped in the
 * package, nothing fetched from elsewhere), the pairing endpoints, and a JSON API under /api/
 * that answers only a paired session (anything else: 401 and nothing more).
 *
 * Every change goes through what the bridge and the CLI use (the backend's `request` is the
 * bridge's own handler path; a single capture's deletion is the ledger's deleteId, as for
 * `spa delete --id`), so the audit record and the gate see the same thing whoever asked.
 *
 * Security: sessions are random 256-bit tokens in an HttpOnly, SameSite=Strict cookie (Secure and
 * __Host- when served over HTTPS), stored hashed; every change needs the session's CSRF token in
 * a header (an HMAC of the session token, so no page of another origin can know it), a JSON body
 * and, when the browser sends one, its own Origin; bodies are capped; errors are one JSON line
 * with a code, never a stack trace.
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeMessage } from "../../firmware-bridge/protocol/codec.ts";
import { PROTOCOL_VERSION, stateData, type AnyAckData, type Request } from "../../firmware-bridge/protocol/messages.ts";
import type { Reply } from "../../firmware-bridge/server.ts";
import type { HistoryRow } from "../ledger/ledger.ts";
import type { PageSession } from "../ledger/page-sessions.ts";
import type { Logger } from "../log.ts";
import { toError } from "../errors.ts";
import { Pairing } from "./pairing.ts";
import { ZipWriter } from "./zip.ts";

/** What the page reads and does, provided by the agent (ports and adapters: the server knows no agent internals). */
export interface PageBackend {
  /** A request through the bridge's handlers: the same checks, audit events and gate inputs as firmware's. */
  request(msg: Request): Reply;
  /** The policy in force and the retention, in plain terms. */
  policy(): {
    version: number;
    appliedFrom: string | null;
    retentionDays: number;
    uploads: boolean;
    trainingAllowed: boolean;
    hotel: boolean;
    farField: boolean;
  };
  history(): HistoryRow[];
  /** A kept capture's stored (voice-modified) audio as WAV, or null. */
  audio(id: number): Buffer | null;
  /** Deletes one capture (audited, upstream deletion requested); how many went (0 or 1). */
  deleteId(id: number): number;
  /** The export file by file (each buffer is wiped once the next is asked for); audited when it starts. */
  exportEntries(): Generator<{ name: string; data: Buffer }, unknown>;
  auditLog(limit: number): {
    events: Array<{ seq: number; at: number; type: string; data: unknown }>;
    verify: { ok: boolean; checked: number; brokenAt?: number };
  };
  /** Appends a privacy event (a phone paired or unpaired: who can see the recordings changed). */
  audit(type: string, data: Record<string, unknown>): void;
  /** Tells the firmware to speak or show a pairing code (a bridge event). */
  announce(code: string, validSeconds: number): void;
  sessions: {
    create(token: string, label: string, at: number): number;
    find(token: string, at: number): PageSession | null;
    revoke(id: number | "all", at: number): number;
    /** The sessions alive at `at` (not revoked, wiped or unused too long). */
    list(at: number): PageSession[];
  };
  /** Calls fn on every change of the gate's state; returns the unsubscribe. */
  onState(fn: () => void): () => void;
  /** Changes whenever what the page shows from the ledger changes (captures, uploads, choices, audit), also by another process. */
  ledgerMark(): string;
  now(): number;
  monotonic(): number;
  /** Calls fn every `ms` until cancelled (the agent's timers: nothing here starts one itself). */
  every(ms: number, fn: () => void): { cancel(): void };
}

export interface PageServerOptions {
  bind: string;
  port: number;
  /** PEM certificate and key: served over HTTPS; null: plain HTTP (loopback only). */
  tls: { cert: string; key: string } | null;
  sessionDays: number;
  log: Logger;
  backend: PageBackend;
  /** Seconds between checks of the ledger for changes made elsewhere, while a page is open. */
  pollMs?: number;
}

const STATIC_DIR = join(fileURLToPath(new URL(".", import.meta.url)), "static");
const STATIC: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
};
const MAX_BODY = 4096;
/** Event streams: per session, in all, and the unsent bytes a stream may hold before it is dropped. */
const MAX_STREAMS_PER_SESSION = 4;
const MAX_STREAMS = 16;
const MAX_STREAM_BACKLOG = 64 * 1024;
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: Record<string, unknown>;
  constructor(status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

/** Maps a bridge refusal to an HTTP status (the code and message pass through as they are). */
const replyStatus = (code: string): number => (code === "BAD_MESSAGE" ? 400 : code === "INTERNAL" ? 500 : 409);

export const isLoopback = (bind: string): boolean => bind === "localhost" || bind === "::1" || /^127\./.test(bind);

export class PageServer {
  readonly #o: PageServerOptions;
  readonly #pairing: Pairing;
  readonly #files = new Map<string, Buffer>();
  readonly #streams = new Set<{ res: ServerResponse; session: number }>();
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;
  #poll: { cancel(): void } | null = null;
  #heartbeat: { cancel(): void } | null = null;
  #mark = "";
  #unsubscribe: (() => void) | null = null;

  constructor(o: PageServerOptions) {
    this.#o = o;
    this.#pairing = new Pairing({ now: () => o.backend.monotonic(), randomInt: (n) => randomInt(n) });
    for (const { file } of Object.values(STATIC)) this.#files.set(file, readFileSync(join(STATIC_DIR, file)));
  }

  get https(): boolean {
    return this.#o.tls !== null;
  }

  /** The port it listens on (after start). */
  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /**
   * A new pairing code, announced by the speaker; refused when too many were made this minute.
   * `fromDevice`: asked for on the speaker itself (the bridge), which also lifts a guessing lock.
   */
  issueCode(fromDevice = false): { ok: true; code: string; validSeconds: number } | { ok: false; retryAfterSeconds: number } {
    const r = this.#pairing.issue(fromDevice);
    if (!r.ok) return { ok: false, retryAfterSeconds: Math.ceil(r.retryAfterMs / 1000) };
    const validSeconds = Math.round(r.validMs / 1000);
    this.#o.backend.announce(r.code, validSeconds);
    return { ok: true, code: r.code, validSeconds };
  }

  /** Ends a session's open event streams at once (after a revoke). */
  closeSessions(ids: number[] | "all"): void {
    for (const s of [...this.#streams]) if (ids === "all" || ids.includes(s.session)) this.#endStream(s);
  }

  /** Ends one event stream; it gets nothing more, whether or not its phone still reads. */
  #endStream(s: { res: ServerResponse; session: number }): void {
    this.#streams.delete(s);
    if (!s.res.writableEnded && !s.res.destroyed) s.res.end();
    if (this.#streams.size === 0) this.#stopTimers();
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      void this.#serve(req, res);
    };
    const server = this.#o.tls
      ? createHttpsServer({ cert: this.#o.tls.cert, key: this.#o.tls.key, minVersion: "TLSv1.2" }, handler)
      : createHttpServer(handler);
    server.requestTimeout = 15_000;
    server.headersTimeout = 10_000;
    server.keepAliveTimeout = 5_000;
    server.maxHeadersCount = 64;
    server.on("clientError", (_e, socket: Socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      else socket.destroy();
    });
    server.on("connection", (s: Socket) => {
      this.#sockets.add(s);
      s.on("close", () => this.#sockets.delete(s));
    });
    // A TLS handshake that fails (a phone that refused the certificate) is the client's business.
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: this.#o.bind, port: this.#o.port }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#server = server;
    this.#unsubscribe = this.#o.backend.onState(() => this.#broadcastState());
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#stopTimers();
    for (const s of [...this.#streams]) this.#endStream(s);
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of this.#sockets) s.destroy();
    });
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.#route(req, res);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) this.#json(res, e.status, { error: e.code, message: e.message, ...e.extra });
      else {
        this.#o.log.error("page request failed", { error: toError(e).message });
        this.#json(res, 500, { error: "INTERNAL", message: "internal error" });
      }
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://page.invalid");
    } catch {
      throw new HttpError(400, "BAD_REQUEST", "not a valid request target");
    }
    const host = (req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
    // A page bound to loopback answers only loopback names (no DNS rebinding from a web page).
    if (isLoopback(this.#o.bind) && !LOOPBACK_HOSTS.has(host))
      throw new HttpError(421, "WRONG_HOST", "this page answers only on the speaker's loopback address");
    const path = url.pathname;

    const asset = STATIC[path];
    if (asset) {
      if (method !== "GET" && method !== "HEAD") throw this.#methodNotAllowed(res, "GET, HEAD");
      const body = this.#files.get(asset.file)!;
      res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": asset.type, "Content-Length": body.length, "Cache-Control": "no-cache" });
      res.end(method === "HEAD" ? undefined : body);
      return;
    }
    if (path === "/pair/announce") {
      if (method !== "POST") throw this.#methodNotAllowed(res, "POST");
      // A JSON body and this page's own origin: another web page cannot make the speaker announce codes.
      await this.#body(req, true);
      this.#checkOrigin(req);
      const r = this.issueCode();
      if (!r.ok) throw new HttpError(429, "RATE_LIMITED", "too many codes this minute; wait a moment", { retryAfterSeconds: r.retryAfterSeconds });
      // The code itself goes only to the speaker: whoever asks here must be in the room to hear it.
      this.#json(res, 200, { announced: true, validSeconds: r.validSeconds });
      return;
    }
    if (path === "/pair") {
      if (method !== "POST") throw this.#methodNotAllowed(res, "POST");
      const body = await this.#body(req, true);
      this.#checkOrigin(req);
      const code = typeof body.code === "string" ? body.code.trim() : "";
      const a = this.#pairing.attempt(code);
      if (!a.ok) {
        if (a.reason === "RATE_LIMITED")
          throw new HttpError(429, "RATE_LIMITED", "too many wrong codes; wait a minute", { retryAfterSeconds: Math.ceil((a.retryAfterMs ?? 60_000) / 1000) });
        throw new HttpError(
          403,
          a.reason,
          a.reason === "NO_CODE" ? "no code is waiting; ask the speaker for a new one" : "that is not the code the speaker gave",
        );
      }
      const token = randomBytes(32).toString("base64url");
      const label = describeAgent(req.headers["user-agent"]);
      const id = this.#o.backend.sessions.create(token, label, this.#o.backend.now());
      this.#o.log.info("a phone paired with the household page", { session: id });
      this.#o.backend.audit("page-paired", { session: id, label });
      res.setHeader("Set-Cookie", this.#cookie(token, this.#o.sessionDays * 86_400));
      this.#json(res, 200, { paired: true, csrf: csrfOf(token) });
      return;
    }
    if (path === "/api" || path.startsWith("/api/")) return this.#api(req, res, method, url);
    throw new HttpError(404, "NOT_FOUND", "no such page");
  }

  async #api(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
    const token = cookieOf(req.headers.cookie, this.#cookieName);
    const b = this.#o.backend;
    const session = token ? b.sessions.find(token, b.now()) : null;
    if (!session || !token) throw new HttpError(401, "UNPAIRED", "pair this phone with the speaker first");
    const path = url.pathname.slice("/api".length);
    const reading = method === "GET" || method === "HEAD";
    if (!reading) this.#checkChange(req, token);

    // A path known under another method is a 405 with what it takes (found once every route was tried).
    const allowed: string[] = [];
    const route = (m: string, p: string | RegExp): RegExpMatchArray | null => {
      const hit = typeof p === "string" ? (path === p ? ([p] as unknown as RegExpMatchArray) : null) : path.match(p);
      if (!hit) return null;
      if (method === m || (m === "GET" && method === "HEAD")) return hit;
      allowed.push(m === "GET" ? "GET, HEAD" : m);
      return null;
    };

    if (route("GET", "/session")) return this.#json(res, 200, { paired: true, session: session.id, csrf: csrfOf(token), https: this.https });
    if (route("POST", "/logout")) {
      await this.#body(req, false);
      b.sessions.revoke(session.id, b.now());
      b.audit("page-sessions-revoked", { count: 1, by: "page" });
      this.closeSessions([session.id]);
      res.setHeader("Set-Cookie", this.#cookie("", 0));
      return this.#json(res, 200, { paired: false });
    }
    if (route("GET", "/state")) return this.#json(res, 200, this.#state());
    if (route("GET", "/captures")) return this.#json(res, 200, { retentionDays: b.policy().retentionDays, now: b.now(), captures: b.history() });
    let m = route("GET", /^\/captures\/(\d{1,15})\/audio$/);
    if (m) {
      const wav = b.audio(Number(m[1]));
      if (!wav) throw new HttpError(404, "NOT_KEPT", "that capture is not kept (or has no audio)");
      try {
        // One byte range, as media elements ask for (Safari's <audio> will not play without it).
        const range = byteRange(req.headers.range, wav.length);
        const head = { ...SECURITY_HEADERS, "Content-Type": "audio/wav", "Accept-Ranges": "bytes", "Cache-Control": "no-store" };
        if (range === "unsatisfiable") {
          res.writeHead(416, { ...head, "Content-Range": `bytes */${wav.length}` });
          res.end();
          return;
        }
        const [start, end] = range ?? [0, wav.length - 1];
        const body = Buffer.from(wav.subarray(start, end + 1));
        res.writeHead(range ? 206 : 200, {
          ...head,
          "Content-Length": body.length,
          ...(range ? { "Content-Range": `bytes ${start}-${end}/${wav.length}` } : {}),
        });
        res.end(method === "HEAD" ? undefined : body);
      } finally {
        wav.fill(0);
      }
      return;
    }
    m = route("DELETE", /^\/captures\/(\d{1,15})$/);
    if (m) {
      const n = b.deleteId(Number(m[1]));
      if (!n) throw new HttpError(404, "NOT_KEPT", "that capture is not kept");
      return this.#json(res, 200, { deleted: n });
    }
    if (route("POST", "/delete")) {
      const body = await this.#body(req, true);
      return this.#reply(res, { type: "delete", scope: body.scope as "all" });
    }
    if (route("POST", "/mute")) {
      // No body: mute; {minutes}: a timed mute; {until: "tomorrow"}: until 07:00.
      const body = await this.#body(req, false);
      if (body.until === "tomorrow") return this.#reply(res, { type: "mute-for", minutes: minutesUntilMorning(b.now()) });
      if (body.minutes === undefined) return this.#reply(res, { type: "mute" });
      return this.#reply(res, { type: "mute-for", minutes: body.minutes as number });
    }
    if (route("POST", "/unmute")) {
      await this.#body(req, false);
      return this.#reply(res, { type: "unmute" });
    }
    if (route("GET", "/consents")) return this.#reply(res, { type: "consents", history: true });
    if (route("POST", "/consents")) {
      const body = await this.#body(req, true);
      const { feature, person, notice } = body as { feature: string; person?: string; notice: string };
      if (body.granted === true) return this.#reply(res, { type: "consent-grant", feature, person, notice, by: "household" });
      if (body.granted === false) return this.#reply(res, { type: "consent-withdraw", feature, person, by: "household" });
      throw new HttpError(400, "BAD_MESSAGE", "granted must be true or false");
    }
    if (route("GET", "/audit")) {
      const limit = Math.min(200, Math.max(1, Number(url.searchParams.get("limit") ?? 30) || 30));
      return this.#json(res, 200, b.auditLog(limit));
    }
    if (route("GET", "/export")) {
      // A download link cannot send a header: the CSRF token comes in the query instead.
      if (!sameToken(url.searchParams.get("csrf") ?? "", csrfOf(token))) throw new HttpError(403, "CSRF", "this download link is not from the page");
      const day = new Date(b.now()).toISOString().slice(0, 10);
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        "Content-Type": "application/zip",
        "Content-Disposition": `attachment; filename="speaker-export-${day}.zip"`,
        "Cache-Control": "no-store",
      });
      if (method === "HEAD") return void res.end();
      const zip = new ZipWriter((chunk) => res.write(chunk));
      const at = b.now();
      const files = b.exportEntries();
      try {
        for (let n = files.next(); !n.done; n = files.next()) {
          zip.add(n.value.name, n.value.data, at);
          // The phone sets the pace: the next capture is read only when this one has gone out.
          if (res.writableNeedDrain) await drained(res);
          if (res.destroyed) return;
        }
      } finally {
        files.return(undefined);
      }
      zip.finish();
      res.end();
      return;
    }
    if (route("GET", "/events")) {
      if (method === "HEAD") {
        res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store" });
        return void res.end();
      }
      return this.#events(res, session.id);
    }
    if (allowed.length) throw this.#methodNotAllowed(res, allowed.join(", "));
    throw new HttpError(404, "NOT_FOUND", "no such API");
  }

  get #cookieName(): string {
    return this.https ? "__Host-spa-session" : "spa-session";
  }

  #cookie(value: string, maxAge: number): string {
    return `${this.#cookieName}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${this.https ? "; Secure" : ""}`;
  }

  /** A change must carry the session's CSRF token, and come from this page's own origin if the browser says where from. */
  #checkChange(req: IncomingMessage, token: string): void {
    const given = req.headers["x-csrf-token"];
    if (typeof given !== "string" || !sameToken(given, csrfOf(token))) throw new HttpError(403, "CSRF", "a change needs the page's CSRF token");
    this.#checkOrigin(req);
  }

  #checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `${this.https ? "https" : "http"}://${req.headers.host ?? ""}`)
      throw new HttpError(403, "CSRF", "a change must come from this page");
  }

  #methodNotAllowed(res: ServerResponse, allow: string): HttpError {
    res.setHeader("Allow", allow);
    return new HttpError(405, "METHOD_NOT_ALLOWED", `use ${allow}`);
  }

  /** A JSON object body (at most 4 KiB); `required`: it must be there. */
  async #body(req: IncomingMessage, required: boolean): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_BODY) throw new HttpError(413, "TOO_LARGE", `a request body may be at most ${MAX_BODY} bytes`);
      chunks.push(c);
    }
    if (size === 0) {
      if (required) throw new HttpError(400, "BAD_MESSAGE", "a JSON body is required");
      return {};
    }
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") throw new HttpError(415, "BAD_MESSAGE", "the body must be application/json");
    let v: unknown;
    try {
      v = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      throw new HttpError(400, "BAD_JSON", "the body is not JSON");
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new HttpError(400, "BAD_MESSAGE", "the body must be a JSON object");
    return v as Record<string, unknown>;
  }

  /** A request through the bridge's schema and handlers; the reply as the bridge would give it. */
  #reply(res: ServerResponse, msg: Record<string, unknown>): void {
    const decoded = decodeMessage({ ...msg, v: PROTOCOL_VERSION, id: "page" });
    if (!decoded.ok) throw new HttpError(400, decoded.code, decoded.message);
    const r = this.#o.backend.request(decoded.msg);
    if (!r.ok) throw new HttpError(replyStatus(r.code), r.code, r.message);
    this.#json(res, 200, (r.data ?? {}) as AnyAckData);
  }

  /** What the page shows of the agent's state: the bridge's get-state without the recorder's pid or storage error texts (which may name paths). */
  #state(): Record<string, unknown> {
    const b = this.#o.backend;
    const r = b.request({ v: 1, id: "page", type: "get-state" });
    const d = r.ok ? stateData(r.data) : null;
    const shown = d ? { state: d.state, profile: d.profile, counters: d.counters, storage: { ok: d.storage.ok }, consents: d.consents } : {};
    return { ...shown, policy: b.policy(), now: b.now() };
  }

  #json(res: ServerResponse, status: number, body: unknown): void {
    const data = Buffer.from(JSON.stringify(body));
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": data.length,
      "Cache-Control": "no-store",
    });
    res.end(data);
  }

  /** Server-sent events: the state at once and on every change; `ledger` when what the ledger holds changed. */
  #events(res: ServerResponse, session: number): void {
    const mine = [...this.#streams].filter((x) => x.session === session);
    // A phone has a few tabs at most; the oldest stream of a session goes first, and there is a cap for all.
    if (mine.length >= MAX_STREAMS_PER_SESSION) this.#endStream(mine[0]!);
    if (this.#streams.size >= MAX_STREAMS) throw new HttpError(503, "BUSY", "too many open pages; close one");
    res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", Connection: "keep-alive" });
    res.write(`retry: 1000\n\nevent: state\ndata: ${JSON.stringify(this.#state())}\n\n`);
    const s = { res, session };
    this.#streams.add(s);
    // A phone that went away mid-write is its own business; never the agent's crash.
    res.on("error", () => this.#endStream(s));
    res.on("close", () => this.#endStream(s));
    if (!this.#poll) {
      this.#mark = this.#o.backend.ledgerMark();
      this.#poll = this.#o.backend.every(this.#o.pollMs ?? 1000, () => this.#checkLedger());
      this.#heartbeat = this.#o.backend.every(15_000, () => this.#send(": keep-alive\n\n"));
    }
  }

  #stopTimers(): void {
    this.#poll?.cancel();
    this.#heartbeat?.cancel();
    this.#poll = this.#heartbeat = null;
  }

  #checkLedger(): void {
    try {
      // A session revoked, wiped (a wipe, a hotel's check-out) or unused too long loses its streams here, within the poll.
      const b = this.#o.backend;
      const live = new Set(b.sessions.list(b.now()).map((x) => x.id));
      for (const s of [...this.#streams]) if (!live.has(s.session)) this.#endStream(s);
      if (this.#streams.size === 0) return;
      const mark = this.#o.backend.ledgerMark();
      if (mark === this.#mark) return;
      this.#mark = mark;
      this.#send(`event: ledger\ndata: {}\n\n`);
    } catch (e) {
      this.#o.log.warn("page: cannot read the ledger for changes", { error: toError(e).message });
    }
  }

  #broadcastState(): void {
    if (this.#streams.size) this.#send(`event: state\ndata: ${JSON.stringify(this.#state())}\n\n`);
  }

  #send(text: string): void {
    for (const s of [...this.#streams]) {
      if (s.res.writableEnded || s.res.destroyed) this.#endStream(s);
      // A phone that stopped reading is dropped before it costs the speaker memory (its page reconnects).
      else if (s.res.writableLength > MAX_STREAM_BACKLOG) this.#endStream(s);
      else s.res.write(text);
    }
  }
}

/** Resolves when the response can take more, or is gone (whichever first; no listener left behind). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** A single `bytes=a-b` range of a body of `size` bytes: null (none or not understood: the whole body), the range, or unsatisfiable. */
export function byteRange(header: string | undefined, size: number): [number, number] | null | "unsatisfiable" {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? "");
  if (!m || (m[1] === "" && m[2] === "")) return null;
  let start: number;
  let end: number;
  if (m[1] === "") {
    // The last N bytes.
    const n = Number(m[2]);
    if (n === 0) return "unsatisfiable";
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return [start, end];
}

/** The session's CSRF token: derived from its secret token, so it needs no storage and no other origin can compute it. */
const csrfOf = (token: string): string => createHmac("sha256", token).update("spa-page-csrf").digest("base64url");

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieOf(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) {
      const v = part.slice(i + 1).trim();
      return /^[A-Za-z0-9_-]{43}$/.test(v) ? v : null;
    }
  }
  return null;
}

/** A short label for the sessions list: the kind of browser and system, never the whole user agent. */
export function describeAgent(ua: string | undefined): string {
  const u = ua ?? "";
  const browser = /Edg\//.test(u)
    ? "Edge"
    : /Firefox\//.test(u)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(u)
        ? "Chrome"
        : /Safari\//.test(u)
          ? "Safari"
          : "a browser";
  const os = /iPhone|iPad/.test(u)
    ? "iOS"
    : /Android/.test(u)
      ? "Android"
      : /Mac OS X/.test(u)
        ? "macOS"
        : /Windows/.test(u)
          ? "Windows"
          : /Linux/.test(u)
            ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : browser;
}

/** Whole minutes from `now` until 07:00 device-local time on the next morning ("mute until tomorrow"). */
export function minutesUntilMorning(now: number): number {
  const d = new Date(now);
  const morning = new Date(d.getFullYear(), d.getMonth(), d.getDate() + (d.getHours() < 7 ? 0 : 1), 7, 0, 0, 0);
  // Before 07:00 it is already "tomorrow": mute until this morning's 07:00.
  return Math.max(1, Math.ceil((morning.getTime() - now) / 60_000));
}
