/**
 * A guardian's hours on the real agent (real ledger, real bridge socket): outside them the
 * speaker is closed like a mute and captures nothing, an unmute is refused politely, a restart
 * outside them boots closed, and lifting them reopens it at once.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { stateData, type AckData } from "../../firmware-bridge/protocol/messages.ts";
import { FakeFirmware } from "../../firmware-bridge/sim/fake-firmware.ts";
import { startAgent } from "../helpers/agent-in-process.ts";
import { tempDir } from "../helpers/tmp.ts";
import { join } from "node:path";

const G = suite("guardian hours (real agent)");

/** A window that does not contain the current local minute: it starts two hours from now. */
function closedNow(): { from: string; to: string } {
  const d = new Date(Date.now() + 2 * 3_600_000);
  const e = new Date(Date.now() + 3 * 3_600_000);
  const hhmm = (x: Date) => `${String(x.getHours()).padStart(2, "0")}:${String(x.getMinutes()).padStart(2, "0")}`;
  return { from: hhmm(d), to: hhmm(e) };
}

G("outside the hours: closed like a mute, nothing captured, unmute refused; a restart stays closed; lifting them reopens", async () => {
  const dir = tempDir("spa-guardian-");
  const dataDir = join(dir.path, "data");
  const start = () => startAgent({ mode: "near", dataDir });
  let a = await start();
  let fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
  try {
    const state = async () => stateData(((await fw.request({ type: "get-state" })) as { data: AckData["get-state"] }).data)!.state;
    const set = await fw.request({ type: "guardian-hours", windows: [closedNow()] });
    assert.equal(set.type === "ack" ? set.data : null, { windows: 1, open: false });
    assert.equal([(await state()).muted, (await state()).mutedBy, (await state()).micOpen], [true, "guardian", false]);
    const unmute = await fw.request({ type: "unmute" });
    assert.equal(unmute.type === "nack" ? unmute.code : null, "GUARDIAN_HOURS");
    await fw.talk("down");
    await fw.talk("up");
    await a.agent.driver!.settled();
    assert.is(a.agent.captures!.count(), 0, "push-to-talk captured nothing");
    assert.ok(a.agent.ledger!.audit.list(50).some((e) => e.type === "guardian-hours"));
    // A restart outside the hours boots closed (the hours are in the ledger).
    fw.stop();
    await a.stop();
    a = await start();
    fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
    assert.equal((await state()).mutedBy, "guardian", "booted closed");
    const off = await fw.request({ type: "guardian-hours", windows: [] });
    assert.equal(off.type === "ack" ? off.data : null, { windows: 0, open: true });
    assert.is((await state()).muted, false, "reopened at once");
    await fw.pushToTalk(300);
    await a.agent.driver!.settled();
    assert.is(a.agent.captures!.count(), 1, "and it captures again");
  } finally {
    fw.stop();
    await a.stop();
    dir.remove();
  }
});

G.run();
