/** gpio-keys buttons: 24-byte input_event records read from a real file (a FIFO). */
import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { EV_KEY, EvdevButtons, encodeInputEvent, InputEventDecoder, KEY_MICMUTE, KEY_VOICECOMMAND, type KeyEvent } from "../../firmware-bridge/evdev.ts";
import { startAgent } from "../helpers/agent-in-process.ts";
import { tempDir, until } from "../helpers/tmp.ts";

const E = suite("evdev buttons");
const EV_SYN = 0;

E("decoder: key down/up for any code, autorepeat and non-key events ignored, records split anywhere", () => {
  const stream = Buffer.concat([
    encodeInputEvent(EV_KEY, KEY_MICMUTE, 1, 1000),
    encodeInputEvent(EV_SYN, 0, 0, 1000),
    encodeInputEvent(EV_KEY, KEY_MICMUTE, 2, 1100),
    encodeInputEvent(EV_KEY, KEY_MICMUTE, 0, 1200),
    encodeInputEvent(EV_KEY, KEY_VOICECOMMAND, 1, 1300),
  ]);
  for (const step of [1, 7, 24, 25, 1000]) {
    const d = new InputEventDecoder();
    const got: KeyEvent[] = [];
    for (let o = 0; o < stream.length; o += step) got.push(...d.push(stream.subarray(o, o + step)));
    assert.equal(got, [
      { code: KEY_MICMUTE, action: "down" },
      { code: KEY_MICMUTE, action: "up" },
      { code: KEY_VOICECOMMAND, action: "down" },
    ]);
  }
});

E("reader: events written to the device file arrive in order", async () => {
  const dir = tempDir();
  const dev = join(dir.path, "event0");
  execFileSync("mkfifo", [dev]);
  const got: KeyEvent[] = [];
  const reader = new EvdevButtons(
    dev,
    (e) => got.push(e),
    () => undefined,
  );
  // O_RDWR: a FIFO opened this way never blocks, whether or not the reader has opened it yet.
  const fd = openSync(dev, constants.O_RDWR);
  await reader.start();
  writeSync(fd, Buffer.concat([encodeInputEvent(EV_KEY, 248, 1), encodeInputEvent(EV_KEY, 248, 0)]));
  await until(() => got.length === 2, 3000, "two key events");
  reader.stop();
  closeSync(fd);
  dir.remove();
  assert.equal(
    got.map((e) => e.action),
    ["down", "up"],
  );
});

E("agent: the mute key mutes and the talk key captures", async () => {
  const dir = tempDir();
  const dev = join(dir.path, "event0");
  execFileSync("mkfifo", [dev]);
  const fd = openSync(dev, constants.O_RDWR);
  const a = await startAgent({ mode: "near", bridge: { socketPath: join(dir.path, "bridge.sock"), evdev: { device: dev } } });
  const driver = a.agent.driver!;
  writeSync(fd, encodeInputEvent(EV_KEY, KEY_VOICECOMMAND, 1));
  await until(() => driver.state.phase.kind === "capturing", 3000, "capture on talk key");
  writeSync(fd, encodeInputEvent(EV_KEY, KEY_VOICECOMMAND, 0));
  await until(() => driver.state.phase.kind === "standby", 3000, "standby on release");
  writeSync(fd, Buffer.concat([encodeInputEvent(EV_KEY, KEY_MICMUTE, 1), encodeInputEvent(EV_KEY, KEY_MICMUTE, 0)]));
  await until(() => driver.state.phase.kind === "muted", 3000, "muted by the key");
  closeSync(fd);
  await a.stop();
  dir.remove();
});

E.run();
