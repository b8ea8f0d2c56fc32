/**
 * Outbox uploader (the demo default): each upload becomes `<uploadId>.wav` (voice-modified
 * audio) and `<uploadId>.json` (its envelope) in a directory, readable by the owner only.
 * Files are written under a temporary name and renamed, so a reader never sees half a file.
 */
import { randomUUID } from "node:crypto";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Uploader } from "../ports/uploader.ts";
import type { UploadEnvelope } from "./envelope.ts";
import { makeDirs } from "../fs-dirs.ts";

export class OutboxUploader implements Uploader {
  readonly name: string;
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
    this.name = `outbox ${resolve(dir)}`;
  }

  async send(envelope: UploadEnvelope, wav: Buffer): Promise<void> {
    makeDirs(this.dir, 0o700);
    const put = (name: string, data: Buffer | string): void => {
      const tmp = join(this.dir, `.${name}.part`);
      writeFileSync(tmp, data, { mode: 0o600 });
      renameSync(tmp, join(this.dir, name));
    };
    put(`${envelope.uploadId}.wav`, wav);
    put(`${envelope.uploadId}.json`, JSON.stringify(envelope, null, 2) + "\n");
  }

  /** A confirmed diagnostics bundle: `diagnostics-<random id>.json`. */
  async sendDiagnostics(bundle: string): Promise<void> {
    makeDirs(this.dir, 0o700);
    const name = `diagnostics-${randomUUID()}.json`;
    const tmp = join(this.dir, `.${name}.part`);
    writeFileSync(tmp, bundle + "\n", { mode: 0o600 });
    renameSync(tmp, join(this.dir, name));
  }

  /** The outbox is the receiver here: deleting an upload removes its two files. */
  async requestDeletion(uploadId: string): Promise<void> {
    if (!/^[0-9a-f-]{36}$/.test(uploadId)) throw new Error("not an upload id");
    rmSync(join(this.dir, `${uploadId}.wav`), { force: true });
    rmSync(join(this.dir, `${uploadId}.json`), { force: true });
    // Half-written files from a crash in the middle of an upload.
    rmSync(join(this.dir, `.${uploadId}.wav.part`), { force: true });
    rmSync(join(this.dir, `.${uploadId}.json.part`), { force: true });
  }
}
