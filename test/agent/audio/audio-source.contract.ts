/**
 * What every AudioSource must do, run against each adapter (real mic through arecord, WAV file,
 * the in-memory fake), so the fake cannot drift from the real thing.
 */
import type { Test } from "uvu";
import * as assert from "uvu/assert";
import type { AudioSource } from "../../../agent/ports/audio-source.ts";
import { FRAME_SAMPLES } from "../../../agent/units.ts";
import { sleep, until } from "../../helpers/tmp.ts";

export interface SourceUnderTest {
  source: AudioSource;
  /** For sources that do not produce audio by themselves: deliver frames while open. */
  drive?: () => () => void;
  cleanup: () => void | Promise<void>;
}

export function audioSourceContract(test: Test, name: string, make: () => Promise<SourceUnderTest>): void {
  const withSource = async (fn: (s: SourceUnderTest, frames: Int16Array[]) => Promise<void>): Promise<void> => {
    const s = await make();
    const frames: Int16Array[] = [];
    s.source.onFrame((f) => frames.push(f));
    const stopDriving = s.drive?.();
    try {
      await fn(s, frames);
    } finally {
      stopDriving?.();
      await s.source.close();
      await s.cleanup();
    }
  };

  test(`${name}: delivers 512-sample frames while open`, () =>
    withSource(async ({ source }, frames) => {
      assert.not.ok(source.isOpen);
      await source.open();
      assert.ok(source.isOpen);
      await until(() => frames.length >= 3, 5000, "three frames");
      for (const f of frames) assert.is(f.length, FRAME_SAMPLES);
    }));

  test(`${name}: close() stops delivery for good`, () =>
    withSource(async ({ source }, frames) => {
      await source.open();
      await until(() => frames.length >= 1, 5000, "a frame");
      await source.close();
      assert.not.ok(source.isOpen);
      const n = frames.length;
      await sleep(150);
      assert.is(frames.length, n, "no frame after close() resolved");
    }));

  test(`${name}: close() is idempotent and safe before open()`, () =>
    withSource(async ({ source }) => {
      await source.close();
      await source.open();
      await Promise.all([source.close(), source.close()]);
      assert.not.ok(source.isOpen);
    }));

  test(`${name}: can be reopened after close()`, () =>
    withSource(async ({ source }, frames) => {
      await source.open();
      await until(() => frames.length >= 1, 5000, "a frame");
      await source.close();
      const n = frames.length;
      await source.open();
      await until(() => frames.length > n, 5000, "a frame after reopening");
    }));
}
