// One instance per console process. Next.js compiles the API into its own bundle, next to the
// custom server's copy of the same modules, so a module-level `new X()` would exist twice (two
// ticket stores, two event buses). globalThis is the one object both copies see; this is the only
// place that reaches into it, and every process-wide object is made through it.
const store = globalThis as unknown as { __guesthouse?: Map<string, unknown> };

export function processWide<T>(name: string, make: () => T): T {
  const all = (store.__guesthouse ??= new Map());
  if (!all.has(name)) all.set(name, make());
  return all.get(name) as T;
}
