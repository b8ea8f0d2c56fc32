/**
 * Issue 14.6: a receiver that trickles its answer a byte at a time. A request has a total
 * deadline (not only an idle timeout); deletion requests do not wait behind a stuck upload; and
 * stopping the worker does not wait for the receiver.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SystemClock } from "../../../agent/adapters/system-clock.ts";
import { silentLogger } from "../../../agent/log.ts";
import { HttpsUploader } from "../../../agent/upload/https-uploader.ts";
import { UploadWorker } from "../../../agent/upload/worker.ts";
import { makeEnvelope } from "../../../agent/upload/envelope.ts";
import { openLedgerAt, storeCapture } from "../../helpers/ledger-fixture.ts";
import { tempDir, until } from "../../helpers/tmp.ts";

interface Receiver {
  server: Server;
  url: string;
  deletes: string[];
  posts: number;
  trickling: Set<ServerResponse>;
}

/** POST: headers, then one byte every 300 ms, never done. DELETE: 204 at once. */
async function slowReceiver(): Promise<Receiver> {
  const rec: Receiver = { server: null as never, url: "", deletes: [], posts: 0, trickling: new Set() };
  rec.server = createServer((req, res) => {
    req.resume();
    if (req.method === "DELETE") {
      rec.deletes.push(req.url ?? "");
      res.writeHead(204).end();
      return;
    }
    rec.posts++;
    res.writeHead(200, { "content-type": "text/plain" });
    rec.trickling.add(res);
    const t = setInterval(() => res.write("."), 300);
    res.on("close", () => {
      clearInterval(t);
      rec.trickling.delete(res);
    });
  });
  await new Promise<void>((r) => rec.server.listen(0, "127.0.0.1", () => r()));
  rec.url = `http://127.0.0.1:${(rec.server.address() as AddressInfo).port}/upload`;
  return rec;
}

const close = (rec: Receiver): Promise<void> => {
  for (const res of rec.trickling) res.destroy();
  rec.server.closeAllConnections();
  return new Promise((r) => rec.server.close(() => r()));
};

const S = suite("slow receiver (issue 14.6)");

S("a trickling answer fails at the request's deadline, not never", async () => {
  const rec = await slowReceiver();
  try {
    const up = new HttpsUploader({ endpoint: rec.url, allowedHosts: ["127.0.0.1"], timeoutMs: 1000 });
    const env = { uploadId: "u1" } as never;
    const outcome = await Promise.race([
      up.send(env, Buffer.alloc(100)).then(
        () => "sent",
        (e: Error) => `failed: ${e.message}`,
      ),
      new Promise<string>((r) => setTimeout(() => r("still waiting"), 15_000).unref()),
    ]);
    assert.match(outcome, /^failed: .*within 1000 ms/);
  } finally {
    await close(rec);
  }
});

S("deletion requests go while an upload is stuck, and stop() does not wait for the receiver", async () => {
  const rec = await slowReceiver();
  const d = tempDir();
  const clock = new SystemClock();
  const f = openLedgerAt(d.path, clock);
  try {
    const envelope = makeEnvelope({
      capturedAt: clock.now(),
      durationMs: 1000,
      trigger: "talk",
      locale: "zh-CN",
      trainingAllowed: false,
      anonymization: { method: "mcadams-b2", version: 1 },
      policyVersion: 0,
    });
    storeCapture(f.ledger, { upload: { uploadId: envelope.uploadId, envelope: JSON.stringify(envelope) } });
    const up = new HttpsUploader({ endpoint: rec.url, allowedHosts: ["127.0.0.1"], timeoutMs: 60_000 });
    const w = new UploadWorker({
      store: f.ledger.captures,
      uploader: up,
      clock,
      log: silentLogger,
      retryBaseMs: 1000,
      retryMaxMs: 60_000,
      random: Math.random,
    });
    w.start();
    await until(() => rec.posts === 1, 10_000, "the upload to start");
    // The household deletes something uploaded earlier, while the upload trickles.
    f.ledger.db.prepare("INSERT INTO deletion_requests (upload_id, queued_at, next_attempt_at) VALUES (?, ?, ?)").run("older-upload", clock.now(), clock.now());
    w.kick();
    await until(() => rec.deletes.length === 1, 10_000, "the deletion request to leave");
    assert.equal(rec.deletes, ["/upload/older-upload"]);
    assert.is(rec.trickling.size, 1, "the upload is still stuck");
    const stopped = await Promise.race([w.stop(500).then(() => "stopped"), new Promise<string>((r) => setTimeout(() => r("hung"), 10_000).unref())]);
    assert.is(stopped, "stopped");
  } finally {
    await close(rec);
    f.close();
    d.remove();
  }
});

S.run();
