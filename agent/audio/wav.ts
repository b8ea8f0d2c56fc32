/** Minimal RIFF/WAVE reader and writer for PCM. The pipeline only accepts 16 kHz mono s16. */
import { AgentError } from "../errors.ts";
import { SAMPLE_RATE_HZ } from "../units.ts";

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  format: number;
  /** Byte offset and length of the data chunk. */
  dataOffset: number;
  dataLength: number;
}

export function parseWavHeader(buf: Buffer, name = "WAV file"): WavInfo {
  if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") {
    throw new AgentError("AUDIO_FORMAT", `${name} is not a RIFF/WAVE file`);
  }
  let off = 12;
  let fmt: Omit<WavInfo, "dataOffset" | "dataLength"> | null = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString("ascii", off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > buf.length) throw new AgentError("AUDIO_FORMAT", `${name}: truncated fmt chunk`);
      const tag = buf.readUInt16LE(body);
      fmt = {
        // WAVE_FORMAT_EXTENSIBLE (0xFFFE) carries the real format in its sub-format GUID.
        format: tag === 0xfffe && size >= 40 && body + 26 <= buf.length ? buf.readUInt16LE(body + 24) : tag,
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        bitsPerSample: buf.readUInt16LE(body + 14),
      };
    } else if (id === "data") {
      if (!fmt) throw new AgentError("AUDIO_FORMAT", `${name}: data chunk before fmt chunk`);
      // Streams written by recorders may carry 0 or 0xFFFFFFFF as the data size: take the rest of the file.
      const len = size === 0 || size === 0xffffffff || body + size > buf.length ? buf.length - body : size;
      return { ...fmt, dataOffset: body, dataLength: len - (len % 2) };
    }
    off = body + size + (size % 2);
  }
  throw new AgentError("AUDIO_FORMAT", `${name} has no data chunk`);
}

/** Throws a clear error unless the file is what the pipeline speaks. */
export function requirePipelineFormat(info: WavInfo, name = "WAV file"): void {
  const ok = info.format === 1 && info.sampleRate === SAMPLE_RATE_HZ && info.channels === 1 && info.bitsPerSample === 16;
  if (!ok) {
    throw new AgentError(
      "AUDIO_FORMAT",
      `${name} is ${info.sampleRate} Hz, ${info.channels} channel(s), ${info.bitsPerSample}-bit (format ${info.format}); ` +
        `the agent needs 16000 Hz mono 16-bit PCM: convert it with 'sox IN -r 16000 -c 1 -b 16 -e signed-integer OUT.wav'`,
    );
  }
}

export function readPcm16(buf: Buffer, name = "WAV file"): Int16Array {
  const info = parseWavHeader(buf, name);
  requirePipelineFormat(info, name);
  const out = new Int16Array(info.dataLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(info.dataOffset + i * 2);
  return out;
}

export function encodeWav(samples: Int16Array, sampleRate = SAMPLE_RATE_HZ): Buffer {
  const data = samples.length * 2;
  const buf = Buffer.alloc(44 + data);
  buf.write("RIFF", 0, "ascii");
  buf.writeUInt32LE(36 + data, 4);
  buf.write("WAVE", 8, "ascii");
  buf.write("fmt ", 12, "ascii");
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write("data", 36, "ascii");
  buf.writeUInt32LE(data, 40);
  for (let i = 0; i < samples.length; i++) buf.writeInt16LE(samples[i]!, 44 + i * 2);
  return buf;
}
