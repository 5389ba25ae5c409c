// The default dispatcher of "copas" (a callable front over a real Copas) and the switch that
// points it and the default socket layer at another world for a while: a test runs a program
// written against the defaults, as a Lua port is, on a simulated network ("copas/testing").

import { makeCallable, retarget, type CallableCopas } from "./callable.js";
import { Copas } from "./copas.js";
import { _setDefaultSocket } from "./defaults.js";

const realCopas = new Copas();

/** The default dispatcher, on the real clock and network unless a test points it elsewhere. */
export const defaultCopas: CallableCopas = makeCallable(realCopas);

/**
 * @internal points the default dispatcher at `d` and the default socket layer at `d.socket`
 * (null: the real ones). Gives a function that restores what was there before (once).
 */
export function _setDefaults(d: Copas | null): () => void {
  const prevCopas = retarget(defaultCopas, d ?? realCopas);
  const prevSocket = _setDefaultSocket(d === null ? null : d.socket);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    retarget(defaultCopas, prevCopas);
    _setDefaultSocket(prevSocket);
  };
}
