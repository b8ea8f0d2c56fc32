/**
 * A ZIP archive written entry by entry (stored, not compressed: WAV and JSON are what an export
 * holds, and a phone opens a stored ZIP natively), so an export streams to the phone holding one
 * capture's audio at a time. PKWARE APPNOTE 6.3: local headers, data, central directory, end
 * record; names in UTF-8 (flag bit 11). No ZIP64: an export is far below 4 GiB and 65535 files.
 */
import { crc32 } from "node:zlib";

interface Entry {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
  time: number;
  date: number;
}

/** MS-DOS time and date fields: device-local wall-clock time (as unzip tools read them) in whole 2-second steps, 1980 at the earliest. */
function dosTime(ms: number): { time: number; date: number } {
  const d = new Date(Math.max(ms, new Date(1980, 0, 1).getTime()));
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

export class ZipWriter {
  readonly #write: (b: Buffer) => void;
  readonly #entries: Entry[] = [];
  #offset = 0;
  #done = false;

  constructor(write: (b: Buffer) => void) {
    this.#write = write;
  }

  #out(b: Buffer): void {
    this.#write(b);
    this.#offset += b.length;
  }

  /** One file; `data` may be zero-filled by the caller once this returns (it is copied out first). */
  add(name: string, data: Buffer, mtime: number): void {
    if (this.#done) throw new Error("the archive is finished");
    if (this.#entries.length >= 0xffff || this.#offset + data.length > 0xfffffff0) throw new Error("the archive is too large for a ZIP without ZIP64");
    const n = Buffer.from(name, "utf8");
    const { time, date } = dosTime(mtime);
    const e: Entry = { name: n, crc: crc32(data) >>> 0, size: data.length, offset: this.#offset, time, date };
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4); // version needed: 2.0
    h.writeUInt16LE(0x0800, 6); // UTF-8 names
    h.writeUInt16LE(0, 8); // stored
    h.writeUInt16LE(time, 10);
    h.writeUInt16LE(date, 12);
    h.writeUInt32LE(e.crc, 14);
    h.writeUInt32LE(e.size, 18);
    h.writeUInt32LE(e.size, 22);
    h.writeUInt16LE(n.length, 26);
    h.writeUInt16LE(0, 28);
    this.#out(h);
    this.#out(n);
    this.#out(Buffer.from(data));
    this.#entries.push(e);
  }

  /** The central directory and end record. */
  finish(): void {
    if (this.#done) return;
    this.#done = true;
    const start = this.#offset;
    for (const e of this.#entries) {
      const c = Buffer.alloc(46);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE(0x0314, 4); // made by: Unix, 2.0
      c.writeUInt16LE(20, 6);
      c.writeUInt16LE(0x0800, 8);
      c.writeUInt16LE(0, 10);
      c.writeUInt16LE(e.time, 12);
      c.writeUInt16LE(e.date, 14);
      c.writeUInt32LE(e.crc, 16);
      c.writeUInt32LE(e.size, 20);
      c.writeUInt32LE(e.size, 24);
      c.writeUInt16LE(e.name.length, 28);
      // extra, comment, disk, internal attributes: 0
      c.writeUInt32LE((0o100600 << 16) >>> 0, 38); // external: a regular file, owner read/write
      c.writeUInt32LE(e.offset, 42);
      this.#out(c);
      this.#out(e.name);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.#entries.length, 8);
    end.writeUInt16LE(this.#entries.length, 10);
    end.writeUInt32LE(this.#offset - start, 12);
    end.writeUInt32LE(start, 16);
    this.#out(end);
  }
}
