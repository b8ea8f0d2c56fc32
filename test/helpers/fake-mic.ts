/**
 * A real `arecord` reading from a file through an ALSA `file` plugin PCM defined in a test-owned
 * .asoundrc (HOME points at a temp dir). The plugin is unpaced and, at the end of a plain file,
 * produces silence as fast as it can; so its infile is a FIFO that this helper writes in real
 * time (32 ms of audio per 32 ms), which paces arecord like a microphone.
 */
import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./tmp.ts";

export const FAKE_MIC_DEVICE = "fakemic";

export interface FakeMic {
  /** The temp dir to use as HOME for processes that run arecord. */
  home: string;
  device: string;
  /** Environment for a child process that should see the fake mic. */
  env: NodeJS.ProcessEnv;
  /**
   * Starts feeding audio (samples are looped), paced in real time. By default 1024 bytes every
   * 32 ms (low latency; the plugin pads short reads with zeros, so content arrives diluted).
   * `faithful` writes whole 4096-byte periods every 128 ms: content arrives exactly as written.
   */
  feed(samples: Int16Array, opts?: { faithful?: boolean }): void;
  stop(): void;
}

export function createFakeMic(): FakeMic {
  const dir = tempDir("spa-mic-");
  const fifo = join(dir.path, "mic.fifo");
  execFileSync("mkfifo", [fifo]);
  writeFileSync(join(dir.path, ".asoundrc"), `pcm.${FAKE_MIC_DEVICE} { type file; slave.pcm "null"; file "/dev/null"; infile "${fifo}"; format "raw" }\n`);
  // O_RDWR keeps the FIFO open for writing without blocking until a reader (arecord) opens it.
  const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  let timer: NodeJS.Timeout | null = null;
  return {
    home: dir.path,
    device: FAKE_MIC_DEVICE,
    env: { ...process.env, HOME: dir.path },
    feed(samples: Int16Array, opts: { faithful?: boolean } = {}): void {
      const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
      // arecord reads the file plugin in 4096-byte periods; a shorter write is padded with zeros.
      const chunk = opts.faithful ? 4096 : 1024;
      let pos = 0;
      timer = setInterval(
        () => {
          const piece = Buffer.alloc(chunk);
          for (let i = 0; i < chunk; i++) piece[i] = bytes[(pos + i) % bytes.length]!;
          pos = (pos + chunk) % bytes.length;
          try {
            writeSync(fd, piece);
          } catch {
            /* FIFO full (nobody reading): drop, as a real mic would */
          }
        },
        (chunk / 1024) * 32,
      );
    },
    stop(): void {
      if (timer) clearInterval(timer);
      closeSync(fd);
      dir.remove();
    },
  };
}
