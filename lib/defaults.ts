// The default dispatcher and LuaSocket layer: what `import copas, { socket } from "copas"` and
// "copas/socket" give. Both are fronts that forward to a target, the real dispatcher and
// network, which a test may swap for a simulated world for a while (`simulate` in
// "copas/testing"): code written against the defaults, as a Lua port is, then runs there
// unchanged, without a dispatcher passed through every function.

import { Copas, realSocket } from "./core/dispatcher.js";
import { makeCallable, retarget, type CallableCopas } from "./callable.js";
import type { SocketModule } from "./socket/socket-module.js";

const realCopas = new Copas();
let target: SocketModule = realSocket;

/** The default dispatcher, on the real clock and network unless a test points it elsewhere. */
export const defaultCopas: CallableCopas = makeCallable(realCopas);

/**
 * The default LuaSocket layer: each function forwards to the target's (the real one unless a
 * test points it elsewhere), so functions taken from it early (`const { bind } = socket`) follow.
 */
export const defaultSocket: SocketModule = (() => {
  const front: Record<string, unknown> = {};
  for (const key of Object.keys(realSocket)) {
    if (typeof (realSocket as unknown as Record<string, unknown>)[key] === "function") {
      front[key] = (...a: unknown[]) => (target as unknown as Record<string, (...a: unknown[]) => unknown>)[key]!(...a);
    } else {
      Object.defineProperty(front, key, { get: () => (target as unknown as Record<string, unknown>)[key], enumerable: true });
    }
  }
  return front as unknown as SocketModule;
})();

/**
 * @internal points the defaults at dispatcher `d` and its socket layer (`d.socket`), or back at
 * the real ones (null). Gives a function that restores what was there before.
 */
export function _setDefaults(d: Copas | null): () => void {
  const prevCopas = retarget(defaultCopas, d ?? realCopas);
  const prevSocket = target;
  target = d === null ? realSocket : d.socket;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    retarget(defaultCopas, prevCopas);
    target = prevSocket;
  };
}

/** @internal the real default dispatcher (the one behind `defaultCopas` when nothing is simulated). */
export function _realDefault(): Copas {
  return realCopas;
}
