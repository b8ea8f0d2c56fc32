/** The uploader the config asks for (none when uploads are off). */
import { resolve } from "node:path";
import type { Config } from "../../config/schema.ts";
import type { Uploader } from "../ports/uploader.ts";
import { HttpsUploader } from "./https-uploader.ts";
import { OutboxUploader } from "./outbox-uploader.ts";

export function createUploader(c: Config["upload"]): Uploader | null {
  if (c.kind === "off") return null;
  if (c.kind === "outbox") return new OutboxUploader(resolve(c.outboxDir));
  return new HttpsUploader({ endpoint: c.endpoint!, allowedHosts: c.allowedHosts, caFile: c.caFile, timeoutMs: c.timeoutMs });
}
