/**
 * Masks what identifies a household or a device in diagnostic text (REQUIREMENTS DIAG): phone
 * numbers, e-mail addresses, IP and MAC addresses, host names, and the device's own identifiers
 * (device id, serial, account id) wherever they appear. Pure; applied to every line of a bundle.
 */

export interface Identifiers {
  /** Exact strings to mask (device id, serial, account id, host name …); empty ones are ignored. */
  exact: readonly (string | null | undefined)[];
}

const RULES: ReadonlyArray<[RegExp, string]> = [
  [/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, "<email>"],
  [/\b([0-9a-f]{2}[:-]){5}[0-9a-f]{2}\b/gi, "<mac>"],
  [/\b(\d{1,3}\.){3}\d{1,3}\b/g, "<ip>"],
  // Mainland mobile numbers (11 digits from 1[3-9]), then any longer international number.
  [/(?<!\d)(\+?86[- ]?)?1[3-9]\d{9}(?!\d)/g, "<phone>"],
  [/(?<![\w.])\+\d[\d -]{7,}\d/g, "<phone>"],
  // Host names with a domain (a.b.c): masked as a whole.
  [/\b(?=[a-z0-9-]*[a-z])[a-z0-9-]+(\.[a-z0-9-]+)+\.(com|net|org|cn|local|lan|home|internal|io)\b/gi, "<host>"],
];

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function redact(text: string, ids: Identifiers): string {
  let out = text;
  // The device's own identifiers first (longest first, so one that contains another goes whole).
  const exact = ids.exact.filter((x): x is string => typeof x === "string" && x.length >= 3).sort((a, b) => b.length - a.length);
  for (const x of exact) out = out.replace(new RegExp(escape(x), "gi"), "<id>");
  for (const [re, mask] of RULES) out = out.replace(re, mask);
  return out;
}
