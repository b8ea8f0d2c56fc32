/** Reads the schema's structure (zod 4 internals, kept in this one file): leaves, docs, kinds. */
import type { z } from "zod";

interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string>;
  defaultValue?: unknown;
  checks?: Array<{ _zod: { def: { check: string; value?: number; inclusive?: boolean } } }>;
}
const def = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Strips default/prefault/optional/nullable wrappers. */
export function unwrap(s: z.ZodType): { base: z.ZodType; nullable: boolean; defaultValue: unknown } {
  let cur = s;
  let nullable = false;
  let defaultValue: unknown = undefined;
  for (;;) {
    const d = def(cur);
    if (d.type === "default" || d.type === "prefault") {
      if (defaultValue === undefined) defaultValue = typeof d.defaultValue === "function" ? (d.defaultValue as () => unknown)() : d.defaultValue;
    } else if (d.type === "nullable") nullable = true;
    else if (d.type !== "optional") return { base: cur, nullable, defaultValue };
    cur = d.innerType!;
  }
}

export function objectShape(s: z.ZodType): Record<string, z.ZodType> | null {
  const { base } = unwrap(s);
  const d = def(base);
  return d.type === "object" ? d.shape! : null;
}

export interface Leaf {
  path: string[];
  schema: z.ZodType;
  kind: string;
  nullable: boolean;
  defaultValue: unknown;
  doc: string;
  allowed: string;
}

export function leaves(s: z.ZodType, path: string[] = []): Leaf[] {
  const shape = objectShape(s);
  if (shape) return Object.entries(shape).flatMap(([k, v]) => leaves(v, [...path, k]));
  const { base, nullable, defaultValue } = unwrap(s);
  const d = def(base);
  return [{ path, schema: s, kind: d.type, nullable, defaultValue, doc: s.description ?? base.description ?? "", allowed: allowedOf(d, nullable) }];
}

function allowedOf(d: Def, nullable: boolean): string {
  let out: string;
  if (d.type === "enum")
    out = Object.values(d.entries ?? {})
      .map((v) => JSON.stringify(v))
      .join(" | ");
  else if (d.type === "number") {
    let min: number | undefined, max: number | undefined;
    let integer = false;
    for (const c of d.checks ?? []) {
      const cd = c._zod.def;
      if (cd.check === "greater_than") min = cd.value;
      if (cd.check === "less_than") max = cd.value;
      if (cd.check === "number_format") integer = true;
    }
    out = `${integer ? "integer" : "number"} ${min ?? "-∞"}..${max ?? "∞"}`;
  } else if (d.type === "boolean") out = "true | false";
  else out = d.type;
  return nullable ? `${out} | null` : out;
}

/** Env variable for a path: gate.ledAckMs → SPA_GATE_LED_ACK_MS. */
export const envName = (path: string[]): string => "SPA_" + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()).join("_");
