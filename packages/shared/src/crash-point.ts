/**
 * Fault injection for the crash-point tests (packages/api/src/crash-points.int.test.ts).
 * `GUESTHOUSE_CRASH_AT=<point>` in a console's or host service's environment makes that process
 * kill itself with SIGKILL the moment it reaches the named point, as a power cut would: no
 * `finally`, no exit handlers, no flushed logs. Unset (always, outside those tests) it does nothing.
 * Points are named `<task kind>@<progress>` in the console and `<operation>:<step>` on the host.
 */
const armed = process.env.GUESTHOUSE_CRASH_AT?.trim() || undefined;

export function crashPoint(name: string): void {
  if (armed === name) process.kill(process.pid, "SIGKILL");
}
