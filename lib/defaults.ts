// The real world's defaults, made once: the real clock's network and its LuaSocket layer (the
// `socket` of "copas" and "copas/socket").

import { realClock } from "./node/real-clock.js";
import { makeRealNetwork } from "./node/real-network.js";
import { makeSocketModule, type SocketModule } from "./socket/socket-module.js";

export { realClock };

/** Node's `net` and `dgram` on the real clock. */
const realNetwork = makeRealNetwork(realClock);

/** The LuaSocket layer over Node's `net` (the one `import { socket } from "copas"` gives). */
export const realSocket: SocketModule = makeSocketModule(realNetwork);

/** What the default socket layer forwards to: the real one, unless a test points it elsewhere. */
let target: SocketModule = realSocket;

/**
 * The default LuaSocket layer (the `socket` of "copas" and "copas/socket"): each function
 * forwards to the target's, so functions taken from it early (`const { bind } = socket`)
 * follow when a test points the defaults at a simulated world ("copas/testing").
 */
export const defaultSocket: SocketModule = (() => {
  const front: Record<string, unknown> = {};
  const real = realSocket as unknown as Record<string, unknown>;
  for (const key of Object.keys(real)) {
    if (typeof real[key] === "function") {
      front[key] = (...a: unknown[]) => (target as unknown as Record<string, (...a: unknown[]) => unknown>)[key]!(...a);
    } else {
      Object.defineProperty(front, key, { get: () => (target as unknown as Record<string, unknown>)[key], enumerable: true });
    }
  }
  return front as unknown as SocketModule;
})();

/** @internal points the default socket layer at `m` (null: the real one); gives the previous one. */
export function _setDefaultSocket(m: SocketModule | null): SocketModule {
  const prev = target;
  target = m ?? realSocket;
  return prev;
}
