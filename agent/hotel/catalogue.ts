/**
 * A hotel's catalogue of standard service commands (config/hotel-commands.json is the default):
 * what a guest may ask a room's speaker, each with the standard text the hotel system and the
 * read-back use, and the phrasings the recogniser is trained on. Only what is here can ever leave
 * a guest room; a request said in words the catalogue does not hold is dropped.
 */
import { firstIssue, readJsonFile } from "../json-file.ts";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { AgentError } from "../errors.ts";

export const BUNDLED_CATALOGUE = fileURLToPath(new URL("../../config/hotel-commands.json", import.meta.url));

export const CatalogueSchema = z
  .object({
    format: z.literal("spa-hotel-catalogue/1"),
    commands: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z0-9-]{1,40}$/, "lower-case letters, digits and -"),
            text: z.string().min(1).max(40).describe("the standard text (Chinese) sent to the hotel system and read back"),
            en: z.string().min(1).max(80).optional(),
            examples: z.array(z.string().min(1).max(40)).min(3).describe("phrasings a guest may use; the recogniser knows only these"),
          })
          .strict(),
      )
      .min(1)
      .max(64)
      .refine((cs) => new Set(cs.map((c) => c.id)).size === cs.length, { message: "command ids must be unique" }),
  })
  .strict();
export type Catalogue = z.infer<typeof CatalogueSchema>;
export type Command = Catalogue["commands"][number];

export function loadCatalogue(path = BUNDLED_CATALOGUE): Catalogue {
  const r = CatalogueSchema.safeParse(readJsonFile(path, "CONFIG_INVALID", "the hotel catalogue"));
  if (!r.success) throw new AgentError("CONFIG_INVALID", `hotel catalogue ${path}: ${firstIssue(r.error)}`);
  return r.data;
}
