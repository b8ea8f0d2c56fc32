/**
 * Pure line codec: splits a byte stream into lines (bounded, so a runaway peer cannot exhaust
 * memory) and decodes one line into a validated request or a typed refusal.
 */
import { PROTOCOL_VERSION, Request, type NackCode, type RequestId } from "./messages.ts";

export { encode, LineSplitter, type LineEvent } from "./lines.ts";

export type Decoded = { ok: true; msg: Request } | { ok: false; id: RequestId | null; code: NackCode; message: string };

/** The id of a message that failed validation, if it had a usable one (so the nack can carry it). */
function salvageId(v: unknown): RequestId | null {
  if (typeof v !== "object" || v === null) return null;
  const id = (v as { id?: unknown }).id;
  if (typeof id === "string" && id.length > 0 && id.length <= 64) return id;
  if (typeof id === "number" && Number.isSafeInteger(id) && id >= 0) return id;
  return null;
}

const TYPES = new Set(Request.options.map((o) => o.shape.type.value as string));

export function decodeLine(line: string): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, id: null, code: "BAD_JSON", message: "line is not JSON" };
  }
  return decodeMessage(raw);
}

/** One parsed message checked as the bridge checks it (the household page sends its requests through here too). */
export function decodeMessage(raw: unknown): Decoded {
  const id = salvageId(raw);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { ok: false, id, code: "BAD_MESSAGE", message: "message must be a JSON object" };
  const o = raw as Record<string, unknown>;
  if (o.v !== PROTOCOL_VERSION)
    return {
      ok: false,
      id,
      code: "BAD_VERSION",
      message: `unsupported protocol version ${JSON.stringify(o.v) ?? "(missing)"}; this agent speaks v${PROTOCOL_VERSION}`,
    };
  if (typeof o.type !== "string" || !TYPES.has(o.type)) {
    return { ok: false, id, code: "UNKNOWN_TYPE", message: `unknown type ${JSON.stringify(o.type) ?? "(missing)"}; known: ${[...TYPES].join(", ")}` };
  }
  const r = Request.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0]!;
    const where = first.path.length ? first.path.join(".") : "message";
    return { ok: false, id, code: "BAD_MESSAGE", message: `${o.type}: ${where}: ${first.message}` };
  }
  return { ok: true, msg: r.data };
}
