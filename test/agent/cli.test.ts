/** The spa command: help texts, exit codes, one-line user errors. */
import { spawnSync } from "node:child_process";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { bridgeRequest, parseDuration } from "../../agent/cli.ts";
import { isAgentError } from "../../agent/errors.ts";

const spa = (...args: string[]) => spawnSync(process.execPath, ["bin/spa.mjs", ...args], { encoding: "utf8", env: { ...process.env, SPA_CONFIG: "" } });
const C = suite("spa CLI");

C("--help lists every subcommand, and each has its own --help", () => {
  const main = spa("--help");
  assert.is(main.status, 0);
  for (const cmd of ["start", "config check", "bridge"]) assert.match(main.stdout, cmd);
  for (const cmd of [["start"], ["config"], ["bridge"]]) {
    const r = spa(...cmd, "--help");
    assert.is(r.status, 0, `${cmd.join(" ")} --help`);
    assert.match(r.stdout, /Usage: spa/);
  }
});

C("unknown commands and options are user errors (exit 1, one line)", () => {
  for (const args of [["frobnicate"], ["start", "--nope"], ["config", "check"], ["bridge", "dance"], ["bridge", "mute-for", "soon"]]) {
    const r = spa(...args);
    assert.is(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^spa: /);
  }
});

C("spa bridge with no agent running says what to do", () => {
  const r = spa("bridge", "status", "--socket", "/tmp/spa-no-such-agent.sock");
  assert.is(r.status, 1);
  assert.match(r.stderr, /is the agent running/);
});

C("durations: 30m, 2h, 90s, plain minutes; nonsense and out-of-range refused", () => {
  assert.is(parseDuration("30m"), 30);
  assert.is(parseDuration("2h"), 120);
  assert.is(parseDuration("90s"), 1.5);
  assert.is(parseDuration("15"), 15);
  for (const bad of ["", "abc", "0", "8d", "-5m"]) {
    try {
      parseDuration(bad);
      assert.unreachable(bad);
    } catch (e) {
      assert.ok(isAgentError(e, "USAGE"), bad);
    }
  }
});

C("bridge events map to protocol requests", () => {
  assert.equal(bridgeRequest(["talk-down"]), { type: "button", button: "talk", action: "down" });
  assert.equal(bridgeRequest(["mode", "near"]), { type: "mode", mode: "near" });
  assert.equal(bridgeRequest(["mute-for", "30m"]), { type: "mute-for", minutes: 30 });
  assert.equal(bridgeRequest(["switch", "on"]), { type: "mute-switch", state: "on" });
  assert.throws(() => bridgeRequest(["mode", "sideways"]));
});

C.run();
