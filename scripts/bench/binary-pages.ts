/**
 * Which of the Node binary's pages a process has resident, by ELF section: its code (.text: V8's
 * interpreter, compilers and WebAssembly tiers, Node, OpenSSL, SQLite) or its read-only data
 * (.rodata: the built-in modules' JavaScript sources and code cache, V8's snapshot, ICU's data).
 * /proc/PID/maps gives each mapping of the binary and its file offset, /proc/PID/pagemap whether each
 * page is present (bit 63; readable without privileges), the binary's section headers which
 * section a file offset is in. Linux only; null where any of it cannot be read.
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";

export interface Section {
  name: string;
  offset: number;
  size: number;
}

/** The sections of an ELF64 little-endian file that occupy bytes in it (SHT_NOBITS left out). */
export function elfSections(path: string): Section[] {
  const fd = openSync(path, "r");
  try {
    const read = (pos: number, len: number): Buffer => {
      const b = Buffer.alloc(len);
      if (readSync(fd, b, 0, len, pos) !== len) throw new Error(`${path}: short read at ${pos}`);
      return b;
    };
    const h = read(0, 64);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) throw new Error(`${path}: not a 64-bit little-endian ELF file`);
    const shoff = Number(h.readBigUInt64LE(0x28));
    const shentsize = h.readUInt16LE(0x3a);
    const shnum = h.readUInt16LE(0x3c);
    const shstrndx = h.readUInt16LE(0x3e);
    const table = read(shoff, shentsize * shnum);
    const at = (i: number) => ({
      nameAt: table.readUInt32LE(i * shentsize),
      type: table.readUInt32LE(i * shentsize + 4),
      offset: Number(table.readBigUInt64LE(i * shentsize + 0x18)),
      size: Number(table.readBigUInt64LE(i * shentsize + 0x20)),
    });
    const names = at(shstrndx);
    const strtab = read(names.offset, names.size);
    const out: Section[] = [];
    for (let i = 1; i < shnum; i++) {
      const s = at(i);
      if (s.type === 8 /* SHT_NOBITS */ || s.size === 0) continue;
      const end = strtab.indexOf(0, s.nameAt);
      out.push({ name: strtab.toString("latin1", s.nameAt, end), offset: s.offset, size: s.size });
    }
    return out.sort((a, b) => a.offset - b.offset);
  } finally {
    closeSync(fd);
  }
}

/** One mapping of /proc/PID/smaps: its addresses, file offset and path ("" if anonymous), page size and kB counts. */
export interface Mapping {
  lo: number;
  hi: number;
  fileOffset: number;
  path: string;
  pageSize: number;
  rssKb: number;
  anonymousKb: number;
}

/** Every mapping of a process, from /proc/PID/smaps (throws if the process is gone). */
export function readSmaps(pid: number): Mapping[] {
  const maps: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      maps.push({ lo: parseInt(m[1]!, 16), hi: parseInt(m[2]!, 16), fileOffset: parseInt(m[3]!, 16), path: m[4]!, pageSize: 4096, rssKb: 0, anonymousKb: 0 });
      continue;
    }
    const last = maps[maps.length - 1];
    const f = /^(\w+):\s+(\d+) kB/.exec(line);
    if (!last || !f) continue;
    if (f[1] === "KernelPageSize") last.pageSize = Number(f[2]) * 1024;
    else if (f[1] === "Rss") last.rssKb = Number(f[2]);
    else if (f[1] === "Anonymous") last.anonymousKb = Number(f[2]);
  }
  return maps;
}

/**
 * MB of `binary` resident in process `pid`, by section name (pages in no section under "other"),
 * or null if it cannot be read or no mapping of the binary was found. Pages are the kernel's
 * (smaps' KernelPageSize: 4 KiB on x86, 4, 16 or 64 KiB on arm64).
 */
export function residentBySection(pid: number, binary: string, sections: readonly Section[]): Record<string, number> | null {
  let fd: number | null = null;
  try {
    const counts: Record<string, number> = {};
    let matched = false;
    fd = openSync(`/proc/${pid}/pagemap`, "r");
    for (const { lo, hi, fileOffset, path, pageSize } of readSmaps(pid)) {
      if (path !== binary) continue;
      matched = true;
      const pages = (hi - lo) / pageSize;
      const entries = Buffer.alloc(pages * 8);
      if (readSync(fd, entries, 0, entries.length, (lo / pageSize) * 8) !== entries.length) return null;
      for (let p = 0; p < pages; p++) {
        if ((entries.readUInt32LE(p * 8 + 4) & 0x80000000) === 0) continue;
        const off = fileOffset + p * pageSize;
        const s = sections.find((x) => off + pageSize > x.offset && off < x.offset + x.size);
        const name = s?.name ?? "other";
        counts[name] = (counts[name] ?? 0) + pageSize / 1048576;
      }
    }
    return matched ? counts : null;
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
