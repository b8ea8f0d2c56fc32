/** The bridge line codec: line vectors in, typed requests or refusals out. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { decodeLine, LineSplitter } from "../../firmware-bridge/protocol/codec.ts";

const C = suite("bridge codec");

const VECTORS: Array<[string, string]> = [
  ['{"v":1,"type":"mute","id":1}', "ok"],
  ['{"v":1,"type":"button","id":"a","button":"talk","action":"down"}', "ok"],
  ['{"v":1,"type":"mute-for","id":2,"minutes":30}', "ok"],
  ['{"v":1,"type":"hello","id":3,"model":"X1","capabilities":["led"],"muteSwitch":"off"}', "ok"],
  ['{"v":1,"type":"mute-for","id":2,"minutes":0}', "BAD_MESSAGE"],
  ['{"v":1,"type":"mute-for","id":2,"minutes":99999}', "BAD_MESSAGE"],
  ['{"v":1,"type":"mute-for","id":2,"minutes":"30"}', "BAD_MESSAGE"],
  ['{"v":1,"type":"button","id":4,"button":"volume","action":"press"}', "BAD_MESSAGE"],
  ['{"v":1,"type":"mute","id":5,"extra":true}', "BAD_MESSAGE"],
  ['{"v":1,"type":"mute"}', "BAD_MESSAGE"],
  ['{"v":2,"type":"mute","id":6}', "BAD_VERSION"],
  ['{"type":"mute","id":6}', "BAD_VERSION"],
  ['{"v":1,"type":"selfdestruct","id":7}', "UNKNOWN_TYPE"],
  ['{"v":1,"id":7}', "UNKNOWN_TYPE"],
  ["[1,2,3]", "BAD_MESSAGE"],
  ["null", "BAD_MESSAGE"],
  ['{"v":1,"type":"mute","id":', "BAD_JSON"],
  ["mute", "BAD_JSON"],
];

for (const [line, want] of VECTORS) {
  C(`${line} → ${want}`, () => {
    const d = decodeLine(line);
    if (want === "ok") assert.ok(d.ok, JSON.stringify(d));
    else {
      assert.not.ok(d.ok);
      if (!d.ok) assert.is(d.code, want);
    }
  });
}

C("a refusal keeps the request id when it had a usable one", () => {
  const d = decodeLine('{"v":1,"type":"mute-for","id":"r1","minutes":-1}');
  assert.ok(!d.ok && d.id === "r1");
  const e = decodeLine('{"v":1,"type":"mute-for","id":{"x":1},"minutes":-1}');
  assert.ok(!e.ok && e.id === null);
});

C("the splitter handles lines split and joined across chunks", () => {
  const s = new LineSplitter(64);
  const out = [...s.push(Buffer.from('{"a"')), ...s.push(Buffer.from(':1}\n{"b":2}\n\n{"c"')), ...s.push(Buffer.from(":3}\r\n"))];
  assert.equal(out, [
    { kind: "line", line: '{"a":1}' },
    { kind: "line", line: '{"b":2}' },
    { kind: "line", line: '{"c":3}' },
  ]);
});

C("an over-long line is reported once and skipped up to its newline; the next line is fine", () => {
  const s = new LineSplitter(16);
  const out = [...s.push(Buffer.from("x".repeat(10))), ...s.push(Buffer.from("y".repeat(10))), ...s.push(Buffer.from("zzz\nok\n"))];
  assert.equal(out, [{ kind: "too-long" }, { kind: "line", line: "ok" }]);
});

C("a multi-byte character split across chunks survives", () => {
  const s = new LineSplitter(64);
  const b = Buffer.from('{"m":"天猫精灵"}\n');
  const out = [...s.push(b.subarray(0, 8)), ...s.push(b.subarray(8))];
  assert.equal(out, [{ kind: "line", line: '{"m":"天猫精灵"}' }]);
});

C.run();
