/** Where de-identified uploads go (HTTPS endpoint, outbox directory). */
import type { UploadEnvelope } from "../upload/envelope.ts";

export interface Uploader {
  readonly name: string;
  /**
   * Delivers one upload: its envelope and the voice-modified audio as a WAV file. Resolves when
   * the receiver has it; rejects (with a short reason, never a secret) to be retried later.
   */
  send(envelope: UploadEnvelope, wav: Buffer): Promise<void>;
  /**
   * Asks the receiver to delete an upload (the household deleted it here, or it expired).
   * Resolves when the receiver no longer has it (or never had it).
   */
  requestDeletion(uploadId: string): Promise<void>;
  /**
   * Delivers one diagnostics bundle (redacted JSON, never audio) the household confirmed for a
   * fault. Optional: a receiver without it gets none.
   */
  sendDiagnostics?(bundle: string): Promise<void>;
}
