/**
 * The firmware bridge over a real Unix socket, served by the real agent: robustness against
 * garbage, replies, broadcasts, several clients, socket permissions.
 */
import fc from "fast-check";
import { statSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { isAgentError } from "../../agent/errors.ts";
import { BridgeClient } from "../../firmware-bridge/client.ts";
import { decodeLine } from "../../firmware-bridge/protocol/codec.ts";
import { MAX_LINE_BYTES } from "../../firmware-bridge/protocol/messages.ts";
import { FakeFirmware } from "../../firmware-bridge/sim/fake-firmware.ts";
import { BridgeServer } from "../../firmware-bridge/server.ts";
import { silentLogger } from "../../agent/log.ts";
import { startAgent, type InProcessAgent } from "../helpers/agent-in-process.ts";
import { tempDir, until } from "../helpers/tmp.ts";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

/** The data of an ack (fails the test on a nack). */
function dataOf(r: Awaited<ReturnType<BridgeClient["request"]>>): Record<string, unknown> {
  assert.is(r.type, "ack", JSON.stringify(r));
  return (r as { data?: Record<string, unknown> }).data ?? {};
}

const B = suite("firmware bridge (real socket, real agent)");
let a: InProcessAgent;
B.before.each(async () => {
  a = await startAgent();
});
B.after.each(async () => {
  await a.stop();
});

const VALID: Array<Record<string, unknown>> = [
  { v: 1, type: "mute", id: 1 },
  { v: 1, type: "button", id: 2, button: "talk", action: "down" },
  { v: 1, type: "mute-for", id: 3, minutes: 30 },
  { v: 1, type: "mode", id: 4, mode: "near" },
  { v: 1, type: "hello", id: 5, model: "X", capabilities: ["led"] },
  { v: 1, type: "led-ack", id: 6, pattern: "listening" },
  { v: 1, type: "delete", id: 7, scope: "all" },
];

/** Lines that must each be refused: mutations of valid messages, truncations, garbage, oversize. */
const badLine: fc.Arbitrary<string> = fc
  .oneof(
    // wrong types and values in a known message
    fc
      .record({
        base: fc.constantFrom(...VALID),
        key: fc.constantFrom("v", "type", "id", "minutes", "button", "action", "mode", "scope", "pattern", "model"),
        value: fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constant(null), fc.array(fc.integer()), fc.object()),
      })
      .map(({ base, key, value }) => JSON.stringify({ ...base, [key]: value })),
    // field deletions
    fc.record({ base: fc.constantFrom(...VALID), key: fc.constantFrom("v", "type", "id") }).map(({ base, key }) => {
      const o = { ...base };
      delete o[key];
      return JSON.stringify(o);
    }),
    // extra fields
    fc
      .record({ base: fc.constantFrom(...VALID), key: fc.string({ minLength: 1, maxLength: 8 }) })
      .map(({ base, key }) => JSON.stringify({ ...base, [`x-${key}`]: 1 })),
    // truncations
    fc.record({ base: fc.constantFrom(...VALID), cut: fc.nat() }).map(({ base, cut }) => {
      const s = JSON.stringify(base);
      return s.slice(0, 1 + (cut % (s.length - 1)));
    }),
    // unknown types, random JSON, random text and bytes
    fc.string({ minLength: 1, maxLength: 20 }).map((t) => JSON.stringify({ v: 1, type: `zz-${t}`, id: 9 })),
    fc.json(),
    fc.string({ minLength: 1, maxLength: 200 }),
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1")),
    // oversized
    fc.integer({ min: MAX_LINE_BYTES + 1, max: MAX_LINE_BYTES * 3 }).map((n) => JSON.stringify({ v: 1, type: "mute", id: 1, pad: "x".repeat(n) })),
  )
  .map((l) => l.replace(/[\n]/g, " "));

B("2,000+ random, truncated, oversized and wrongly typed lines: each nacked, server keeps serving, gate unchanged", async () => {
  const lines = fc
    .sample(badLine, { numRuns: 4000, seed: 20261126 })
    .filter((l) => l.trim().length > 0 && (Buffer.byteLength(l) > MAX_LINE_BYTES || !decodeLine(l).ok))
    .slice(0, 2400);
  assert.ok(lines.length >= 2000, `${lines.length} bad lines`);
  const watcher = await BridgeClient.connect(a.socketPath);
  const before = await watcher.request({ type: "get-state" });
  const clients = await Promise.all([0, 1, 2].map(() => BridgeClient.connect(a.socketPath)));
  const share = Math.ceil(lines.length / clients.length);
  await Promise.all(
    clients.map(async (c, k) => {
      const mine = lines.slice(k * share, (k + 1) * share);
      nackedWithId(c); // start counting before anything is sent
      for (const l of mine) c.writeRaw(l + "\n");
      await until(() => c.orphanNacks.length + nackedWithId(c) >= mine.length, 20_000, `nacks for client ${k}`);
      assert.is(c.orphanNacks.length + nackedWithId(c), mine.length, "exactly one nack per bad line");
    }),
  );
  const after = await watcher.request({ type: "get-state" });
  assert.is(after.type, "ack");
  assert.equal(dataOf(after).state, dataOf(before).state, "gate state unchanged");
  for (const c of clients) {
    assert.not.ok(c.closed, "connection stays up");
    const r = await c.request({ type: "get-state" });
    assert.is(r.type, "ack", "server still answers on the same connection");
    c.close();
  }
  watcher.close();
});

/** Nacks with ids arrive as messages too; count every nack the client saw. */
const seen = new WeakMap<BridgeClient, number>();
function nackedWithId(c: BridgeClient): number {
  if (!seen.has(c)) {
    seen.set(c, 0);
    c.onMessage((m) => {
      if (m.type === "nack" && m.id !== null) seen.set(c, (seen.get(c) ?? 0) + 1);
    });
  }
  return seen.get(c)!;
}

B("each request gets one reply with its id; refusals carry a code", async () => {
  const fw = await FakeFirmware.start({ socketPath: a.socketPath });
  const mute = await fw.mute();
  assert.is(mute.type, "ack");
  const again = await fw.request({ type: "unmute" });
  assert.is(again.type, "ack");
  const notMuted = await fw.unmute();
  assert.is(notMuted.type, "nack");
  assert.is((notMuted as { code: string }).code, "NOT_MUTED");
  await fw.muteSwitch(true);
  const refused = await fw.unmute();
  assert.is((refused as { code: string }).code, "MUTE_SWITCH_ON");
  const talk = await fw.request({ type: "button", button: "talk", action: "press" });
  assert.is((talk as { code: string }).code, "BAD_MESSAGE");
  fw.stop();
});

B("every state change is broadcast to every connected client", async () => {
  const fws = await Promise.all([1, 2, 3].map(() => FakeFirmware.start({ socketPath: a.socketPath })));
  await fws[0]!.mute();
  for (const fw of fws) await fw.waitFor(() => fw.state?.state === "muted" && fw.led === "muted", 3000, "muted broadcast");
  await fws[1]!.mode("near");
  for (const fw of fws) await fw.waitFor(() => fw.state?.mode === "near", 3000, "mode broadcast");
  for (const fw of fws) fw.stop();
});

B("the socket is created with the configured mode", () => {
  assert.is(statSync(a.socketPath).mode & 0o777, 0o660);
});

B("a second server on a live socket is refused", async () => {
  const second = new BridgeServer({ socketPath: a.socketPath, socketMode: 0o660, log: silentLogger, handler: () => ({ ok: true }) });
  try {
    await second.start();
    assert.unreachable("second server should not start");
  } catch (e) {
    assert.ok(isAgentError(e, "BRIDGE_SOCKET"));
  }
});

B("a socket file left by a crashed process is replaced", async () => {
  const dir = tempDir();
  const path = join(dir.path, "bridge.sock");
  // A real crash: a process listening on the socket is killed with SIGKILL, leaving the file.
  const child = spawn(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(path)}); setInterval(() => {}, 1000)`]);
  await until(() => existsSync(path), 5000, "the child's socket");
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  assert.ok(existsSync(path), "the stale socket file is still there");
  const server = new BridgeServer({ socketPath: path, socketMode: 0o660, log: silentLogger, handler: () => ({ ok: true }) });
  await server.start();
  const c = await BridgeClient.connect(path);
  assert.is((await c.request({ type: "get-state" })).type, "ack");
  c.close();
  await server.stop();
  dir.remove();
});

B("a client that vanishes mid-line does not disturb the others", async () => {
  const bad = await BridgeClient.connect(a.socketPath);
  bad.writeRaw('{"v":1,"type":"mu');
  bad.close();
  const good = await FakeFirmware.start({ socketPath: a.socketPath });
  assert.is((await good.mute()).type, "ack");
  good.stop();
});

B("delete reports how many kept sessions it removed", async () => {
  const fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
  for (let i = 0; i < 2; i++) {
    await fw.talk("down");
    await fw.waitFor(() => fw.led === "listening", 3000, "listening LED");
    await new Promise((r) => setTimeout(r, 120));
    await fw.talk("up");
  }
  await a.agent.driver!.settled();
  const last = await fw.request({ type: "delete", scope: "last" });
  assert.is(dataOf(last).deleted, 1);
  const all = await fw.request({ type: "delete", scope: "all" });
  assert.is(dataOf(all).deleted, 1);
  fw.stop();
});

B.run();
