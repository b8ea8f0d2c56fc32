/** Error codes carry their blame, and the CLI's exit code and output follow from it. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { failure } from "../../agent/cli.ts";
import { AgentError, ERROR_BLAME, type AgentErrorCode } from "../../agent/errors.ts";

const E = suite("error blame");

E("every code is the user's or the program's, and an error reports its code's blame", () => {
  const codes = Object.keys(ERROR_BLAME) as AgentErrorCode[];
  assert.ok(codes.length >= 20);
  for (const c of codes) {
    assert.ok(ERROR_BLAME[c] === "user" || ERROR_BLAME[c] === "program", c);
    assert.is(new AgentError(c, "x").blame, ERROR_BLAME[c]);
  }
});

E("the CLI: the user's errors are one line and exit 1; the program's print 'internal error' with the stack and exit 2", () => {
  for (const c of Object.keys(ERROR_BLAME) as AgentErrorCode[]) {
    const f = failure(new AgentError(c, "what happened"));
    if (ERROR_BLAME[c] === "user") {
      assert.is(f.exitCode, 1, c);
      assert.is(f.text, `spa: what happened (${c})\n`);
    } else {
      assert.is(f.exitCode, 2, c);
      assert.match(f.text, /^spa: internal error: AgentError: what happened/);
      assert.match(f.text, /\n\s+at /, "with the stack");
    }
  }
  // A file system error is the user's: the path and the cause, one line.
  const fs = Object.assign(new Error("ENOENT: no such file or directory, open '/x/y'"), { code: "ENOENT", syscall: "open", path: "/x/y" });
  assert.equal(failure(fs), { exitCode: 1, text: "spa: cannot write or read /x/y: no such file or directory (FILE_ERROR)\n" });
  assert.is(failure(new TypeError("boom")).exitCode, 2);
});

E.run();
