// Text PostgreSQL cannot store is refused at the edge, for every procedure at once, as bad input
// naming the field (both found by procedure-fuzz.db.test.ts as 500s): a NUL (U+0000) anywhere,
// and a lone UTF-16 surrogate, which a text column turns into U+FFFD but which JSON (the audit
// log's detail) keeps as "\ud800", and jsonb rejects.
import { z } from "zod";

const MAX_DEPTH = 32;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored, or null. */
function textProblem(text: string): string | null {
  if (text.includes("\u0000")) return "Must not contain a NUL character";
  if (LONE_SURROGATE.test(text)) return "Must be valid Unicode text (it has a lone surrogate)";
  return null;
}

/** The first string in `value` that cannot be stored: where, and why; or null. */
export function badText(value: unknown, path: (string | number)[] = [], depth = 0): { path: (string | number)[]; message: string } | null {
  if (typeof value === "string") {
    const message = textProblem(value);
    return message ? { path, message } : null;
  }
  if (depth > MAX_DEPTH || !value || typeof value !== "object") return null;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, inner] of entries) {
    const found = badText(inner, [...path, key], depth + 1);
    if (found) return found;
  }
  return null;
}

/** The ZodError the error formatter turns into "field: message" and fieldErrors, as for any other bad input. */
export function badTextError(problem: { path: (string | number)[]; message: string }): z.ZodError {
  // Made by a parse rather than `new ZodError`, whose instances zod 4 does not make `instanceof Error`
  // (tRPC would then wrap the cause and the formatter would not see the issues).
  const refusal = z.unknown().superRefine((_, ctx) => ctx.addIssue({ code: "custom", path: problem.path, message: problem.message }));
  return refusal.safeParse(undefined).error!;
}
