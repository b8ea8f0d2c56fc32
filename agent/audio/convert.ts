/**
 * Converts WAV files in the common PCM layouts (8-bit unsigned; 16-, 24- and 32-bit signed;
 * 32- and 64-bit float; plain or WAVE_FORMAT_EXTENSIBLE; any rate and channel count) into the
 * pipeline's 16 kHz mono s16: channels averaged, rate changed by a windowed-sinc filter
 * (Blackman window) that removes what the new rate cannot carry. For offline tools such as
 * `spa wake detect`; the live pipeline records 16 kHz mono itself and never converts.
 */
import { AgentError } from "../errors.ts";
import { SAMPLE_RATE_HZ } from "../units.ts";
import { parseWavHeader, readPcm16 } from "./wav.ts";

const PCM = 1;
const FLOAT = 3;

/** Changes the sample rate with a windowed-sinc low-pass at 0.92 of the lower Nyquist frequency. */
export function resample(x: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return Float32Array.from(x);
  const ratio = to / from;
  // Pass band as a fraction of the input's Nyquist frequency; the filter is 16 zero crossings wide.
  const cut = Math.min(1, ratio) * 0.92;
  const half = Math.ceil(16 / cut);
  const out = new Float32Array(Math.floor(x.length * ratio));
  for (let i = 0; i < out.length; i++) {
    const t = i / ratio;
    const c = Math.floor(t);
    let s = 0;
    for (let k = Math.max(0, c - half + 1); k <= Math.min(x.length - 1, c + half); k++) {
      const d = t - k;
      const u = d / half;
      const win = 0.42 + 0.5 * Math.cos(Math.PI * u) + 0.08 * Math.cos(2 * Math.PI * u);
      const a = Math.PI * cut * d;
      s += x[k]! * cut * (a === 0 ? 1 : Math.sin(a) / a) * win;
    }
    out[i] = s;
  }
  return out;
}

export interface Converted {
  samples: Int16Array;
  /** What the file was, when it was not already the pipeline's format; null if it was. */
  from: string | null;
}

export function readWavAsPipeline(buf: Buffer, name = "WAV file"): Converted {
  const info = parseWavHeader(buf, name);
  const bytes = info.bitsPerSample / 8;
  const integer = info.format === PCM && [8, 16, 24, 32].includes(info.bitsPerSample);
  const float = info.format === FLOAT && (info.bitsPerSample === 32 || info.bitsPerSample === 64);
  if ((!integer && !float) || info.channels < 1 || info.sampleRate < 4000 || info.sampleRate > 384000) {
    throw new AgentError(
      "AUDIO_FORMAT",
      `${name} is ${info.sampleRate} Hz, ${info.channels} channel(s), ${info.bitsPerSample}-bit (format ${info.format}); ` +
        `readable are 8/16/24/32-bit integer PCM and 32/64-bit float at 4–384 kHz: convert it with 'sox IN -r 16000 -c 1 -b 16 -e signed-integer OUT.wav'`,
    );
  }
  const pipeline = integer && info.bitsPerSample === 16 && info.channels === 1 && info.sampleRate === SAMPLE_RATE_HZ;
  const frames = Math.floor(info.dataLength / (bytes * info.channels));
  if (pipeline) return { samples: readPcm16(buf, name), from: null };
  const read = (off: number): number => {
    if (float) return bytes === 4 ? buf.readFloatLE(off) : buf.readDoubleLE(off);
    switch (bytes) {
      case 1:
        return (buf[off]! - 128) / 128;
      case 2:
        return buf.readInt16LE(off) / 32768;
      case 3:
        return buf.readIntLE(off, 3) / 8388608;
      default:
        return buf.readInt32LE(off) / 2147483648;
    }
  };
  const mono = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let s = 0;
    for (let c = 0; c < info.channels; c++) s += read(info.dataOffset + (i * info.channels + c) * bytes);
    mono[i] = s / info.channels;
  }
  const x = resample(mono, info.sampleRate, SAMPLE_RATE_HZ);
  const samples = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) samples[i] = Math.max(-32768, Math.min(32767, Math.round(x[i]! * 32768)));
  return { samples, from: `${info.sampleRate} Hz, ${info.channels} channel(s), ${info.bitsPerSample}-bit ${float ? "float" : "integer"}` };
}
