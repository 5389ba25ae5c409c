// Test harness: a dispatcher on the fake clock, and a loop runner that fails the test with
// the first error a thread raised (the default handler would only print it).

import { Copas } from "copas";
import { AutoClock } from "./auto-clock.js";

/** A fresh dispatcher on a fake clock starting at 0. */
export function fresh(): Copas {
  return new Copas({ clock: new AutoClock(0) });
}

export async function run(copas: Copas, init?: () => unknown): Promise<void> {
  const errors: unknown[] = [];
  copas.seterrorhandler((err) => {
    errors.push(err);
  }, true);
  await copas.loop(init as never);
  if (errors.length > 0) throw errors[0];
}
