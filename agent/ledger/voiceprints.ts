/**
 * Voiceprints — a person's wake-word templates, which the seed calls sensitive biometric data
 * (002:259, REQUIREMENTS CON-10, SEC-02) — in the ledger, encrypted like captures: each set
 * (one person, one keyword) under its own random AES-256-GCM key, the key in its own table and
 * wrapped with a key derived from data/device.key. Deleting the key row shreds the set; with
 * secure_delete and a checkpoint the bytes are overwritten. Never a file.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Keyword } from "../ports/wake-engine.ts";
import { parseTemplates, serializeTemplates, type KeywordTemplates, type Templates } from "../wake/templates.ts";
import { checkpoint, type Db } from "./agent-db.ts";
import { deriveKey, deviceKeyPathFor, readDeviceKey, wrapItemKey } from "./device-key.ts";

export interface VoiceprintInfo {
  id: number;
  person: string;
  keyword: Keyword;
  /** How many takes the set holds. */
  templates: number;
  createdAt: number;
}

const aad = (id: number): Buffer => Buffer.from(`spa-voiceprint:${id}`);

export class VoiceprintStore {
  readonly db: Db;
  readonly #kek: Buffer | null;
  constructor(db: Db, kek?: Buffer | null) {
    this.db = db;
    if (kek === undefined) {
      const path = deviceKeyPathFor(db.name);
      kek = path ? deriveKey(readDeviceKey(path, true)!, "voiceprint-key wrapping v1") : null;
    }
    this.#kek = kek;
  }

  #wrap(id: number, key: Buffer): Buffer {
    return wrapItemKey(this.#kek, "voiceprint", id, key);
  }

  /** Stores (or replaces) one person's templates for a keyword. Returns its id. */
  save(person: string, keyword: Keyword, kt: KeywordTemplates, at: number): number {
    const plain = Buffer.from(JSON.stringify(serializeTemplates({ [keyword]: kt })));
    const key = randomBytes(32);
    try {
      return this.db
        .transaction(() => {
          this.#delete("person = ? AND keyword = ?", [person, keyword]);
          const id = Number(
            this.db
              .prepare("INSERT INTO voiceprints (person, keyword, templates, created_at, iv, tag, ciphertext) VALUES (?, ?, ?, ?, x'', x'', x'')")
              .run(person, keyword, kt.templates.length, at).lastInsertRowid,
          );
          const iv = randomBytes(12);
          const c = createCipheriv("aes-256-gcm", key, iv);
          c.setAAD(aad(id));
          const ct = Buffer.concat([c.update(plain), c.final()]);
          this.db.prepare("UPDATE voiceprints SET iv = ?, tag = ?, ciphertext = ? WHERE id = ?").run(iv, c.getAuthTag(), ct, id);
          this.db.prepare("INSERT INTO voiceprint_keys (voiceprint_id, key) VALUES (?, ?)").run(id, this.#wrap(id, key));
          return id;
        })
        .immediate();
    } finally {
      plain.fill(0);
      key.fill(0);
    }
  }

  list(): VoiceprintInfo[] {
    return this.db
      .prepare("SELECT id, person, keyword, templates, created_at AS createdAt FROM voiceprints ORDER BY person, keyword")
      .all() as unknown as VoiceprintInfo[];
  }

  people(): string[] {
    return [...new Set(this.list().map((v) => v.person))];
  }

  /** The decrypted templates of the given people (everyone's if omitted), one entry per set. */
  load(people?: readonly string[]): Array<{ person: string; keyword: Keyword; templates: KeywordTemplates }> {
    const rows = this.db
      .prepare(
        "SELECT v.id AS id, v.person AS person, v.keyword AS keyword, v.iv AS iv, v.tag AS tag, v.ciphertext AS ct, k.key AS key FROM voiceprints v JOIN voiceprint_keys k ON k.voiceprint_id = v.id ORDER BY v.id",
      )
      .all() as Array<{ id: number; person: string; keyword: Keyword; iv: Buffer; tag: Buffer; ct: Buffer; key: Buffer }>;
    const out: Array<{ person: string; keyword: Keyword; templates: KeywordTemplates }> = [];
    for (const r of rows) {
      if (people && !people.includes(r.person)) continue;
      const key = this.#wrap(r.id, r.key);
      r.key.fill(0);
      let plain: Buffer;
      try {
        const d = createDecipheriv("aes-256-gcm", key, r.iv);
        d.setAAD(aad(r.id));
        d.setAuthTag(r.tag);
        plain = Buffer.concat([d.update(r.ct), d.final()]);
      } finally {
        key.fill(0);
      }
      const t: Templates = parseTemplates(JSON.parse(plain.toString("utf8")), `voiceprint ${r.id}`);
      plain.fill(0);
      out.push({ person: r.person, keyword: r.keyword, templates: t[r.keyword]! });
    }
    return out;
  }

  /** Renames a person (their consent history is the registry's and moves separately). Returns how many sets. */
  rename(from: string, to: string): number {
    return this.db.prepare("UPDATE voiceprints SET person = ? WHERE person = ?").run(to, from).changes;
  }

  /** Deletes a person's sets irreversibly (key and ciphertext overwritten). Returns how many. */
  deletePerson(person: string): number {
    const n = this.db.transaction(() => this.#delete("person = ?", [person])).immediate();
    if (n) checkpoint(this.db);
    return n;
  }

  /** Every set (a wipe or a check-out). */
  clear(): number {
    return this.#delete("1", []);
  }

  #delete(where: string, params: string[]): number {
    this.db.prepare(`DELETE FROM voiceprint_keys WHERE voiceprint_id IN (SELECT id FROM voiceprints WHERE ${where})`).run(...params);
    return this.db.prepare(`DELETE FROM voiceprints WHERE ${where}`).run(...params).changes;
  }
}
