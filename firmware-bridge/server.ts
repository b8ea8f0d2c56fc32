/**
 * The firmware bridge server: a Unix socket speaking the line protocol in protocol/. Several
 * firmware clients may connect at once; each request gets an ack or nack, a bad line never
 * drops the connection, and every agent → firmware message is broadcast to all clients.
 * The request handler is the one error boundary here: anything it throws becomes a nack.
 */
import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { AgentError, toError } from "../agent/errors.ts";
import type { Logger } from "../agent/log.ts";
import type { BridgeLink } from "../agent/ports/bridge-link.ts";
import type { GateSnapshot, LedPattern } from "../agent/capture/gate.machine.ts";
import { decodeLine, encode, LineSplitter } from "./protocol/codec.ts";
import { PROTOCOL_VERSION, type AgentMessage, type AnyAckData, type NackCode, type NoticeText, type Request, type StateReport } from "./protocol/messages.ts";
import { makeDirs } from "../agent/fs-dirs.ts";

export type Reply = { ok: true; data?: AnyAckData } | { ok: false; code: NackCode; message: string };

export interface ClientInfo {
  readonly n: number;
  model: string | null;
  /** When this client last sent a line (ms, monotonic enough for ordering). */
  lastActive?: number;
}

export type RequestHandler = (msg: Request, client: ClientInfo) => Reply;

export interface BridgeServerOptions {
  socketPath: string;
  /** File mode of the socket, e.g. 0o660. */
  socketMode: number;
  log: Logger;
  handler: RequestHandler;
  /** Connections held at once; the idlest is shed to make room (default 64). */
  maxClients?: number;
}

/** A client that stops reading is disconnected once this much output is queued for it. */
const MAX_QUEUED_BYTES = 256 * 1024;

export class BridgeServer implements BridgeLink {
  #server: Server | null = null;
  /** The socket file this server created (device and inode): the only one stop() removes. */
  #created: { dev: number; ino: number } | null = null;
  readonly #conns = new Map<Socket, ClientInfo>();
  #next = 1;
  readonly counters = { linesIn: 0, acks: 0, nacks: 0, connections: 0 };

  readonly options: BridgeServerOptions;
  constructor(options: BridgeServerOptions) {
    this.options = options;
  }

  get clients(): number {
    return this.#conns.size;
  }

  /** Whether the client numbered `n` is still connected. */
  connected(n: number): boolean {
    for (const info of this.#conns.values()) if (info.n === n) return true;
    return false;
  }

  async start(): Promise<void> {
    const { socketPath, socketMode } = this.options;
    // A directory we create is closed to others, so nobody can connect in the moment between
    // listen() and chmod().
    makeDirs(dirname(socketPath), 0o750);
    await removeStaleSocket(socketPath);
    const server = createServer((c) => this.#accept(c));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          new AgentError(
            "BRIDGE_SOCKET",
            `cannot listen on ${socketPath}: ${e.message}${e.code === "EACCES" ? " (check the directory's permissions, or set bridge.socketPath)" : ""}`,
            { cause: e },
          ),
        ),
      );
      server.listen(socketPath, () => resolve());
    });
    chmodSync(socketPath, socketMode);
    const st = lstatSync(socketPath);
    this.#created = { dev: st.dev, ino: st.ino };
    server.on("error", (e) => this.options.log.error("bridge server error", { error: e.message }));
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const c of this.#conns.keys()) c.destroy();
    this.#conns.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
    // Never remove a socket this server did not create: a second agent that found the first one
    // listening must leave the first one's socket alone (issue 14.16).
    this.removeOwnSocket();
  }

  /** Removes the socket file if this server created it (synchronous: also for a forced exit). */
  removeOwnSocket(): void {
    const created = this.#created;
    this.#created = null;
    if (!created) return;
    try {
      const st = lstatSync(this.options.socketPath);
      if (st.dev === created.dev && st.ino === created.ino) unlinkSync(this.options.socketPath);
    } catch {
      /* already gone */
    }
  }

  broadcast(msg: AgentMessage): void {
    const line = encode(msg);
    for (const c of this.#conns.keys()) this.#write(c, line);
  }

  led(pattern: LedPattern, seq: number): void {
    this.broadcast({ v: PROTOCOL_VERSION, type: "led", pattern, seq });
  }
  micPower(on: boolean): void {
    this.broadcast({ v: PROTOCOL_VERSION, type: "mic-power", state: on ? "on" : "off" });
  }
  sound(name: string): void {
    this.broadcast({ v: PROTOCOL_VERSION, type: "sound", name });
  }
  voiceUnavailable(reason: string): void {
    this.broadcast({ v: PROTOCOL_VERSION, type: "voice-unavailable", reason });
  }
  /** Hotel mode: a recognised catalogue command, for the firmware to read back its standard text. */
  /** A notice for the firmware to speak or show (e.g. after training use is turned off). */
  notice(n: NoticeText): void {
    this.broadcast({ v: PROTOCOL_VERSION, type: "notice", key: n.key, zh: n.zh, en: n.en });
  }
  hotelCommand(commandId: string, text: string): void {
    this.broadcast({ v: PROTOCOL_VERSION, type: "hotel-command", commandId, text });
  }
  state(snapshot: GateSnapshot): void {
    // GateSnapshot must fit the protocol's StateReport: a change to one without the other does not compile.
    const state: StateReport = { ...snapshot };
    this.broadcast({ v: PROTOCOL_VERSION, type: "state", state });
  }

  #write(c: Socket, line: string): void {
    if (c.destroyed) return;
    if (c.writableLength > MAX_QUEUED_BYTES) {
      this.options.log.warn("bridge client is not reading; disconnecting it");
      c.destroy();
      return;
    }
    c.write(line);
  }

  /**
   * Room for one more, always (issue 14.14): at the cap, the idlest connection goes, first among
   * those that never introduced themselves with hello.
   */
  #makeRoom(): void {
    const max = this.options.maxClients ?? 64;
    while (this.#conns.size >= max) {
      let victim: Socket | null = null;
      let best: [number, number] | null = null;
      for (const [sock, info] of this.#conns) {
        const key: [number, number] = [info.model === null ? 0 : 1, info.lastActive ?? 0];
        if (!best || key[0] < best[0] || (key[0] === best[0] && key[1] < best[1])) {
          best = key;
          victim = sock;
        }
      }
      if (!victim) return;
      this.options.log.warn("bridge connection limit reached; closing the idlest connection", { limit: max });
      this.#conns.delete(victim);
      victim.destroy();
    }
  }

  #accept(c: Socket): void {
    this.#makeRoom();
    const info: ClientInfo = { n: this.#next++, model: null, lastActive: performance.now() };
    this.#conns.set(c, info);
    this.counters.connections++;
    const splitter = new LineSplitter();
    c.on("data", (chunk: Buffer) => {
      for (const ev of splitter.push(chunk)) {
        // A client dropped for not reading gets none of its remaining requests handled.
        if (c.destroyed) return;
        this.counters.linesIn++;
        info.lastActive = performance.now();
        if (ev.kind === "too-long") {
          this.#nack(c, null, "LINE_TOO_LONG", "line longer than 4096 bytes; discarded up to the next newline");
          continue;
        }
        const d = decodeLine(ev.line);
        if (!d.ok) {
          this.#nack(c, d.id, d.code, d.message);
          continue;
        }
        // The one error boundary: whatever the handler or the encoding throws becomes a nack.
        let line: string;
        try {
          const reply = this.options.handler(d.msg, info);
          line = reply.ok
            ? encode(reply.data ? { v: PROTOCOL_VERSION, type: "ack", id: d.msg.id, data: reply.data } : { v: PROTOCOL_VERSION, type: "ack", id: d.msg.id })
            : encode({ v: PROTOCOL_VERSION, type: "nack", id: d.msg.id, code: reply.code, message: reply.message });
          if (reply.ok) this.counters.acks++;
          else this.counters.nacks++;
        } catch (e) {
          this.options.log.error("bridge request failed", { type: d.msg.type, error: toError(e).message });
          this.#nack(c, d.msg.id, "INTERNAL", "the agent could not handle this request");
          continue;
        }
        this.#write(c, line);
      }
    });
    c.on("error", () => undefined);
    c.on("close", () => this.#conns.delete(c));
  }

  #nack(c: Socket, id: Request["id"] | null, code: NackCode, message: string): void {
    this.counters.nacks++;
    this.#write(c, encode({ v: PROTOCOL_VERSION, type: "nack", id, code, message }));
  }
}

/** A socket file left by a crashed agent is removed; a live one (another agent) is an error. */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new AgentError("BRIDGE_SOCKET", `${path} exists and is not a socket; refusing to replace it`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (live) throw new AgentError("BRIDGE_SOCKET", `another agent is already listening on ${path}`);
  unlinkSync(path);
}
