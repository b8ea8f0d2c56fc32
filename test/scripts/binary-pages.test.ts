/** The memory bench's split of the Node binary's resident pages by ELF section, checked on this very process. */
import { mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { elfSections, residentBySection } from "../../scripts/bench/binary-pages.ts";

const B = suite("binary pages by section");
const node = realpathSync(process.execPath);

B("the Node binary's sections: .text and .rodata present, in file order, inside the file", () => {
  const s = elfSections(node);
  const names = s.map((x) => x.name);
  assert.ok(names.includes(".text") && names.includes(".rodata"), names.join(" "));
  const size = statSync(node).size;
  for (let i = 0; i < s.length; i++) {
    assert.ok(s[i]!.offset + s[i]!.size <= size, `${s[i]!.name} ends inside the file`);
    if (i > 0) assert.ok(s[i]!.offset >= s[i - 1]!.offset, "sorted by offset");
  }
  // Node's own code is megabytes, not a misread header.
  assert.ok(s.find((x) => x.name === ".text")!.size > 10 * 1048576);
});

B("a file that is not ELF is refused with its name", () => {
  const dir = mkdtempSync(join(tmpdir(), "spa-elf-"));
  try {
    const f = join(dir, "not-elf");
    writeFileSync(f, Buffer.alloc(128, 0x41));
    assert.throws(() => elfSections(f), /not-elf: not a 64-bit little-endian ELF file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

B("a running Node has code and read-only data of its binary resident; more once it has run more JavaScript", async () => {
  const sections = elfSections(node);
  const mine = residentBySection(process.pid, node, sections);
  assert.ok(mine, "this process's pagemap is readable");
  assert.ok(mine[".text"]! > 1 && mine[".rodata"]! > 0.1, JSON.stringify(mine));
  // A child that only waits has fewer of the binary's code pages than this test runner.
  const child = spawn(node, ["-e", "process.stdout.write('up'); setInterval(() => {}, 1000)"], { stdio: ["ignore", "pipe", "ignore"] });
  await new Promise<void>((ok, fail) => {
    child.stdout.once("data", () => ok());
    child.once("exit", (code) => fail(new Error(`the idle child exited (${code})`)));
  });
  try {
    const idle = residentBySection(child.pid!, node, sections);
    assert.ok(idle && idle[".text"]! > 1, JSON.stringify(idle));
    assert.ok(idle[".text"]! < mine[".text"]!, `idle ${idle[".text"]} MB < runner ${mine[".text"]} MB`);
  } finally {
    child.kill();
  }
});

B("a process that is gone, or a binary it does not run, gives null, not an error or zeros", () => {
  assert.is(residentBySection(2 ** 22 + 12345, node, elfSections(node)), null);
  assert.is(residentBySection(process.pid, "/usr/bin/not-this-binary", elfSections(node)), null);
});

B.run();
