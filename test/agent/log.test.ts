/** Logs never carry secrets or registered identifiers. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createLogger, redact, registerSecret } from "../../agent/log.ts";

const L = suite("logging");

L("registered secrets and identifiers are redacted from messages and fields", () => {
  registerSecret("AbCdEf0123456789==");
  registerSecret("SN-7731-0042");
  const lines: string[] = [];
  const log = createLogger({ name: "t", level: "debug", sink: { write: (l) => lines.push(l) } });
  log.error("Porcupine init failed: invalid AccessKey 'AbCdEf0123456789=='", { device: "SN-7731-0042", n: 3 });
  const text = lines.join("");
  assert.not.match(text, /AbCdEf0123456789/);
  assert.not.match(text, /SN-7731-0042/);
  assert.match(text, /\[redacted\]/);
  assert.match(text, /n=3/);
});

L("credential-looking text is redacted even when not registered", () => {
  assert.not.match(redact("connect mqtts://fleet:hunter2@broker:8883"), /hunter2/);
  assert.not.match(redact('{"accessKey":"zzz-secret-zzz"}'), /zzz-secret-zzz/);
  assert.not.match(redact("password=letmein token: abc.def"), /letmein|abc\.def/);
});

L("levels below the threshold are dropped; JSON mode writes one object per line", () => {
  const lines: string[] = [];
  const log = createLogger({ name: "t", level: "warn", json: true, sink: { write: (l) => lines.push(l) } });
  log.info("hidden");
  log.warn("shown", { k: "v" });
  assert.is(lines.length, 1);
  const o = JSON.parse(lines[0]!);
  assert.is(o.msg, "shown");
  assert.is(o.k, "v");
});

L.run();
