// Runs a dispatcher's loop and fails the test with the first error a thread raised (the
// default handler would only print it).

import type { Copas } from "copas";

export async function run(copas: Copas, init?: () => unknown): Promise<void> {
  const errors: unknown[] = [];
  copas.seterrorhandler((err) => {
    errors.push(err);
  }, true);
  await copas.loop(init as never);
  if (errors.length > 0) throw errors[0];
}
