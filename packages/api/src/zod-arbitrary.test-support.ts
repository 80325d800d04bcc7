// fast-check arbitraries from a procedure's own zod (v4) schemas: values shaped like what the
// schema accepts, with hostile values mixed in at every leaf, so fuzzing reaches past validation
// into the handlers as well as hitting the validators themselves.
import fc from "fast-check";

type Def = { type: string; [key: string]: unknown };
type Check = { _zod: { def: { check: string; minimum?: number; maximum?: number; value?: number; format?: string; pattern?: RegExp } } };

/** Strings that break naive code: traversal, shell and SQL metacharacters, control and bidi characters, prototype keys. */
export const HOSTILE_STRINGS = [
  "",
  " ",
  "../../../etc/passwd",
  "..",
  "/",
  "a/../../b",
  "C:\\Windows\\system32",
  "name\u0000.iso",
  "%2e%2e%2f",
  "$(reboot)",
  "`id`",
  "; rm -rf /",
  "' OR '1'='1",
  '"; DROP TABLE "User"; --',
  "\u202e\u0645lmth.exe",
  "\ud800",
  "😀".repeat(50),
  "__proto__",
  "constructor",
  "x".repeat(70_000),
  "-1",
  "NaN",
  "null",
];

const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 40 }),
);

/** Any value of the wrong kind for a field. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, true, 0, -1, 1e308, Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 53 + 1),
  hostileString,
  fc.double(),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.constantFrom("__proto__", "constructor", "vmId", "x"), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  fc.date(),
);

function defOf(schema: unknown): Def | undefined {
  return (schema as { _zod?: { def?: Def } })?._zod?.def;
}

function checksOf(def: Def): Check["_zod"]["def"][] {
  return ((def.checks as Check[] | undefined) ?? []).map((c) => c._zod.def);
}

function stringArb(def: Def, ids: readonly string[]): fc.Arbitrary<string> {
  const checks = checksOf(def);
  const min = checks.find((c) => c.check === "min_length")?.minimum ?? 0;
  const max = checks.find((c) => c.check === "max_length")?.maximum ?? Math.max(min, 60);
  const format = checks.find((c) => c.check === "string_format");
  const shaped =
    format?.format === "email"
      ? fc.emailAddress()
      : format?.pattern
        ? fc.stringMatching(format.pattern)
        : fc.string({ minLength: min, maxLength: Math.min(max, min + 60) });
  return fc.oneof({ arbitrary: shaped, weight: 3 }, { arbitrary: ids.length ? fc.constantFrom(...ids) : shaped, weight: 3 }, hostileString);
}

function numberArb(def: Def): fc.Arbitrary<number> {
  const checks = checksOf(def);
  const integer = checks.some((c) => c.check === "number_format" && /int/.test(c.format ?? ""));
  const gt = checks.find((c) => c.check === "greater_than")?.value;
  const lt = checks.find((c) => c.check === "less_than")?.value;
  const min = gt ?? -1e6;
  const max = lt ?? 1e9;
  const shaped = integer
    ? fc.integer({ min: Math.ceil(Math.max(min, -(2 ** 31))), max: Math.floor(Math.min(max, 2 ** 31)) })
    : fc.double({ min, max, noNaN: true });
  return fc.oneof({ arbitrary: shaped, weight: 4 }, fc.integer(), fc.constantFrom(0, -1, 2 ** 53, 1.5));
}

/**
 * Values for `schema`: mostly of the shape it wants (strings often one of `ids`, so handlers find
 * real rows), and at every leaf now and then a value of the wrong kind.
 */
export function arbitraryFor(schema: unknown, ids: readonly string[] = [], depth = 0): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  if (!def || depth > 8) return hostileValue;
  const inner = (s: unknown) => arbitraryFor(s, ids, depth + 1);
  const shaped = ((): fc.Arbitrary<unknown> => {
    switch (def.type) {
      case "string":
        return stringArb(def, ids);
      case "number":
        return numberArb(def);
      case "boolean":
        return fc.boolean();
      case "date":
        return fc.date();
      case "literal":
        return fc.constantFrom(...(def.values as unknown[]));
      case "enum":
        return fc.constantFrom(...Object.values(def.entries as Record<string, unknown>));
      case "optional":
        return fc.option(inner(def.innerType), { nil: undefined });
      case "nullable":
        return fc.option(inner(def.innerType), { nil: null });
      case "default":
        return fc.option(inner(def.innerType), { nil: undefined });
      case "pipe":
        return inner(def.in);
      case "union":
        return fc.oneof(...(def.options as unknown[]).map(inner));
      case "array": {
        const min = checksOf(def).find((c) => c.check === "min_length")?.minimum ?? 0;
        return fc.array(inner(def.element), { minLength: min, maxLength: min + 4 });
      }
      case "object": {
        const shape = def.shape as Record<string, unknown>;
        return fc.record(Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, inner(v)])));
      }
      default:
        return hostileValue;
    }
  })();
  return fc.oneof({ arbitrary: shaped, weight: 6 }, { arbitrary: hostileValue, weight: 1 });
}

/** The input of a procedure whose middlewares parse several schemas in turn: one object with all their fields. */
export function arbitraryForChain(schemas: readonly unknown[], ids: readonly string[]): fc.Arbitrary<unknown> {
  if (schemas.length === 0) return fc.oneof(fc.constant(undefined), hostileValue);
  const parts = schemas.map((s) => arbitraryFor(s, ids));
  return fc.oneof(
    { arbitrary: fc.tuple(...parts).map((values) => mergeObjects(values)), weight: 9 },
    { arbitrary: fc.anything({ maxDepth: 3 }), weight: 1 },
  );
}

function mergeObjects(values: unknown[]): unknown {
  if (values.length === 1) return values[0];
  const objects = values.filter((v): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v));
  return objects.length ? Object.assign({}, ...objects) : values[values.length - 1];
}
