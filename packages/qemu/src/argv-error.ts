export class ArgvError extends Error {
  override name = "ArgvError";
}
