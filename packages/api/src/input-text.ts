// PostgreSQL cannot store U+0000 in text: a NUL anywhere in an input would reach the database and
// come back as a server error (found by procedure-fuzz.db.test.ts). It is refused at the edge
// instead, as bad input naming the field, for every procedure at once.
import { z } from "zod";

const MAX_DEPTH = 32;

/** The path of the first string in `value` that contains a NUL character, or null. */
export function pathOfNul(value: unknown, path: (string | number)[] = [], depth = 0): (string | number)[] | null {
  if (typeof value === "string") return value.includes("\u0000") ? path : null;
  if (depth > MAX_DEPTH || !value || typeof value !== "object") return null;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, inner] of entries) {
    const found = pathOfNul(inner, [...path, key], depth + 1);
    if (found) return found;
  }
  return null;
}

/** The ZodError the error formatter turns into "field: message" and fieldErrors, as for any other bad input. */
export function nulError(path: (string | number)[]): z.ZodError {
  // Made by a parse rather than `new ZodError`, whose instances zod 4 does not make `instanceof Error`
  // (tRPC would then wrap the cause and the formatter would not see the issues).
  const refusal = z.unknown().superRefine((_, ctx) => ctx.addIssue({ code: "custom", path, message: "Must not contain a NUL character" }));
  return refusal.safeParse(undefined).error!;
}
