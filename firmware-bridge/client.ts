/**
 * A bridge client: what firmware (and `spa bridge`, the simulator, the tests) use to talk to
 * the agent. Requests get an id and resolve with the agent's ack or nack.
 */
import { createConnection, type Socket } from "node:net";
import { AgentError } from "../agent/errors.ts";
import { encode, LineSplitter, PROTOCOL_VERSION } from "./protocol/lines.ts";
import type { AgentMessage } from "./protocol/messages.ts";

export type Ack = Extract<AgentMessage, { type: "ack" }>;
export type Nack = Extract<AgentMessage, { type: "nack" }>;
type Pending = { resolve: (m: Ack | Nack) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class BridgeClient {
  readonly #socket: Socket;
  readonly #pending = new Map<string, Pending>();
  readonly #listeners: Array<(m: AgentMessage) => void> = [];
  readonly #orphanNacks: Nack[] = [];
  #nextId = 1;
  #closed = false;

  readonly timeoutMs: number;
  private constructor(socket: Socket, timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.#socket = socket;
    const splitter = new LineSplitter(1 << 20);
    socket.on("data", (chunk: Buffer) => {
      for (const ev of splitter.push(chunk)) if (ev.kind === "line") this.#onLine(ev.line);
    });
    socket.on("close", () => {
      this.#closed = true;
      for (const p of this.#pending.values()) {
        clearTimeout(p.timer);
        p.reject(new AgentError("BRIDGE_SOCKET", "the agent closed the bridge connection"));
      }
      this.#pending.clear();
    });
    socket.on("error", () => undefined);
  }

  static connect(path: string, timeoutMs = 5000): Promise<BridgeClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      const t = setTimeout(() => {
        s.destroy();
        reject(new AgentError("BRIDGE_TIMEOUT", `no answer from ${path} within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(t);
        resolve(new BridgeClient(s, timeoutMs));
      });
      s.once("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(t);
        const hint =
          e.code === "ENOENT"
            ? "is the agent running? (npm start)"
            : e.code === "EACCES"
              ? "permission denied: run as a member of the socket's group"
              : e.code === "ECONNREFUSED"
                ? "no agent is listening (stale socket)"
                : e.message;
        reject(new AgentError("BRIDGE_SOCKET", `cannot connect to ${path}: ${hint}`, { cause: e }));
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  onMessage(fn: (m: AgentMessage) => void): void {
    this.#listeners.push(fn);
  }

  /** Nacks that carried no id (lines the agent could not parse). */
  get orphanNacks(): readonly Nack[] {
    return this.#orphanNacks;
  }

  /** Sends a request and resolves with the ack or nack for it. */
  request(body: Record<string, unknown> & { type: string }): Promise<Ack | Nack> {
    const id = `c${this.#nextId++}`;
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new AgentError("BRIDGE_SOCKET", "bridge connection is closed"));
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new AgentError("BRIDGE_TIMEOUT", `no reply to ${body.type} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#socket.write(encode({ v: PROTOCOL_VERSION, ...body, id }));
    });
  }

  /** Writes raw bytes (protocol tests). */
  writeRaw(data: string | Buffer): void {
    this.#socket.write(data);
  }

  close(): void {
    this.#socket.end();
    this.#socket.destroy();
  }

  #onLine(line: string): void {
    let m: AgentMessage;
    try {
      m = JSON.parse(line) as AgentMessage;
    } catch {
      return;
    }
    if ((m.type === "ack" || m.type === "nack") && m.id !== null) {
      const p = this.#pending.get(String(m.id));
      if (p) {
        this.#pending.delete(String(m.id));
        clearTimeout(p.timer);
        p.resolve(m);
      }
    } else if (m.type === "nack") this.#orphanNacks.push(m);
    for (const fn of this.#listeners) fn(m);
  }
}
