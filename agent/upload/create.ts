/**
 * The uploader the config asks for (none when uploads are off). The HTTPS uploader's module (and
 * with it Node's TLS) is loaded only when it is the one configured: ~8 MB the agent does not carry
 * with an outbox or with uploads off.
 */
import { resolve } from "node:path";
import type { Config } from "../../config/schema.ts";
import type { Uploader } from "../ports/uploader.ts";
import { OutboxUploader } from "./outbox-uploader.ts";

export async function createUploader(c: Config["upload"]): Promise<Uploader | null> {
  if (c.kind === "off") return null;
  if (c.kind === "outbox") return new OutboxUploader(resolve(c.outboxDir));
  const { HttpsUploader } = await import("./https-uploader.ts");
  return new HttpsUploader({ endpoint: c.endpoint!, allowedHosts: c.allowedHosts, caFile: c.caFile, timeoutMs: c.timeoutMs });
}
