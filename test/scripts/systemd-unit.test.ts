/**
 * scripts/speaker-privacy-agent.service as systemd reads it: `systemd-analyze verify` finds no
 * problem, `systemd-analyze security` rates the sandbox, and the unit starts the agent the way
 * `npm start` does (notify type, watchdog, the same Node flags). Where systemd-analyze is missing
 * (not a systemd machine), only the text checks run.
 */
import { startEnv, startFlags } from "../../scripts/start-flags.ts";
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { tempDir } from "../helpers/tmp.ts";

const UNIT = "scripts/speaker-privacy-agent.service";
const U = suite("systemd unit");
const text = readFileSync(UNIT, "utf8");
const directive = (name: string): string[] => [...text.matchAll(new RegExp(`^${name}=(.*)$`, "gm"))].map((m) => m[1]!.trim());

U("notify type with a watchdog; sandboxed; a dedicated user in the audio group", () => {
  assert.equal(directive("Type"), ["notify"]);
  assert.equal(directive("NotifyAccess"), ["all"], "systemd-notify is a child of the agent");
  assert.ok(Number(directive("WatchdogSec")[0]) > 0);
  assert.equal(directive("User"), ["spa"]);
  assert.equal(directive("Group"), ["audio"]);
  for (const [k, v] of [
    ["ProtectSystem", "strict"],
    ["NoNewPrivileges", "yes"],
    ["PrivateTmp", "yes"],
  ])
    assert.equal(directive(k!), [v], k);
  const rw = directive("ReadWritePaths").join(" ").split(/\s+/);
  for (const d of ["/var/lib/speaker-privacy-agent", "/run/speaker-privacy-agent", "/var/cache/speaker-privacy-agent"])
    assert.ok(rw.includes(d), `ReadWritePaths has ${d}`);
});

U("ExecStart runs spa start with npm start's Node flags and environment, and stops within TimeoutStopSec", () => {
  const npmFlags = startFlags().join(" ");
  const exec = directive("ExecStart")[0]!;
  assert.match(exec, /^\/usr\/bin\/node\s/);
  assert.ok(exec.includes(`${npmFlags} /opt/speaker-privacy-agent/bin/spa.mjs start --config /etc/speaker-privacy-agent/config.json`), exec);
  // And npm start's environment (the allocator settings).
  const env = directive("Environment").join(" ").split(/\s+/);
  for (const [k, v] of Object.entries(startEnv())) assert.ok(env.includes(`${k}=${v}`), `Environment has ${k}=${v}`);
  assert.ok(Object.keys(startEnv()).length > 0, "npm start sets the allocator");
  // The agent's own stop deadline (agent/cli.ts) is 8 s: systemd must not kill it first.
  assert.ok(Number(directive("TimeoutStopSec")[0]) > 8);
});

const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
if (analyze.status === 0) {
  U("systemd-analyze verify: no warnings; security: exposure at most 2.5", () => {
    // verify reads the unit under its own name from a directory of our own.
    const dir = tempDir("spa-unit-");
    try {
      const unit = join(dir.path, "speaker-privacy-agent.service");
      copyFileSync(UNIT, unit);
      const v = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" });
      assert.is(v.status, 0, v.stderr);
      assert.is(v.stderr.trim(), "", "systemd-analyze verify printed warnings");
      const s = spawnSync("systemd-analyze", ["security", "--offline=yes", unit], { encoding: "utf8" });
      const level = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(s.stdout + s.stderr)?.[1]);
      assert.ok(level <= 2.5, `exposure ${level}`);
    } finally {
      dir.remove();
    }
  });
}

U.run();
