/** The microphone adapter with real child processes: closing really ends the recorder. */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { MicSource, pidAlive } from "../../../agent/audio/mic-source.ts";
import { isAgentError } from "../../../agent/errors.ts";
import { createFakeMic, type FakeMic } from "../../helpers/fake-mic.ts";
import { tempDir, until } from "../../helpers/tmp.ts";

const M = suite("microphone adapter");
let mic: FakeMic;
const saved = { HOME: process.env.HOME, PATH: process.env.PATH };

M.before.each(() => {
  mic = createFakeMic();
  mic.feed(Int16Array.from({ length: 8000 }, (_, i) => (i % 40) * 100));
  process.env.HOME = mic.home;
});
M.after.each(() => {
  process.env.HOME = saved.HOME;
  process.env.PATH = saved.PATH;
  mic.stop();
});

M("close() ends the arecord process and confirms its pid is gone", async () => {
  const src = new MicSource({ recorder: "arecord", device: mic.device, closeTimeoutMs: 200 });
  let frames = 0;
  src.onFrame(() => frames++);
  await src.open();
  const pid = src.pid!;
  assert.ok(pidAlive(pid));
  await until(() => frames > 0, 5000, "audio from arecord");
  await src.close();
  assert.not.ok(pidAlive(pid), "recorder pid is gone once close() resolves");
  assert.is(src.pid, undefined);
});

M("a missing recorder binary is a clear RECORDER_NOT_FOUND error, not a crash", async () => {
  const empty = tempDir();
  process.env.PATH = empty.path;
  const src = new MicSource({ recorder: "arecord", device: mic.device, closeTimeoutMs: 200 });
  try {
    await src.open();
    assert.unreachable("open() should fail");
  } catch (e) {
    assert.ok(isAgentError(e, "RECORDER_NOT_FOUND"), String(e));
    assert.match((e as Error).message, /alsa-utils/);
  } finally {
    empty.remove();
  }
  assert.not.ok(src.isOpen);
});

M("a recorder that ignores SIGTERM is killed after the bound", async () => {
  const bin = tempDir();
  const script = join(bin.path, "arecord");
  writeFileSync(script, "#!/bin/sh\ntrap '' TERM\nwhile :; do head -c 1024 /dev/zero; sleep 0.03; done\n");
  chmodSync(script, 0o755);
  process.env.PATH = `${bin.path}:${saved.PATH}`;
  const src = new MicSource({ recorder: "arecord", device: null, closeTimeoutMs: 100 });
  let frames = 0;
  src.onFrame(() => frames++);
  await src.open();
  const pid = src.pid!;
  await until(() => frames > 0, 5000, "audio from the stubborn recorder");
  const t0 = Date.now();
  await src.close();
  assert.not.ok(pidAlive(pid));
  assert.ok(Date.now() - t0 >= 90, "it waited for SIGTERM first");
  bin.remove();
});

M("a recorder that dies on its own is reported as RECORDER_EXITED", async () => {
  const src = new MicSource({ recorder: "arecord", device: mic.device, closeTimeoutMs: 200 });
  const errors: Error[] = [];
  src.onError((e) => errors.push(e));
  await src.open();
  process.kill(src.pid!, "SIGKILL");
  await until(() => errors.length > 0, 5000, "an error report");
  assert.ok(isAgentError(errors[0], "RECORDER_EXITED"));
  assert.not.ok(src.isOpen);
});

M("an unknown ALSA device is reported with arecord's own reason", async () => {
  const src = new MicSource({ recorder: "arecord", device: "no_such_pcm", closeTimeoutMs: 200 });
  const errors: Error[] = [];
  src.onError((e) => errors.push(e));
  await src.open();
  await until(() => errors.length > 0, 5000, "an error report");
  assert.ok(isAgentError(errors[0], "RECORDER_EXITED"));
  assert.match(errors[0]!.message, /no_such_pcm|open/i);
});

M.run();
