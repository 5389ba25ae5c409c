// What a dispatcher keeps per socket, in the one slot a Selectable lends it (`_slot`): the
// threads waiting on it, its name, its copas timeouts, its server handler. One object a socket,
// made the first time the dispatcher needs it; the hot path reads it with one field access.

import type { Selectable } from "../socket/select.js";
import type { Thread } from "./trampoline.js";

export class SocketState {
  /** Threads blocked reading (FIFO); null when none ever waited. */
  rq: Thread[] | null = null;
  /** Threads blocked writing or connecting (FIFO). */
  wq: Thread[] | null = null;
  /** Name given by `setsocketname` or by `addserver`. */
  name: string | null = null;
  /** Copas timeouts (seconds; Infinity: none) for connect, send and receive. */
  to: [number, number, number] | null = null;
  /** Server handler, when added with `addserver`. */
  handler: ((skt: never) => unknown) | null = null;
  /** Accepted clients so far, for names "<server>:client_N". */
  clients = 0;
  /** The wrapped (copas) socket made for this one, so wrapping twice gives the same object. */
  wrapped: object | null = null;
  /** A server added by a thread of a group (a simulated host): its handler threads join it. */
  group: string | null = null;
  /**
   * In the dispatcher's reading / writing set. Kept as flags so the hot path asks these, not
   * the sets: a reader woken by data that waits again on the same socket within its resume
   * (every echo) leaves the socket in the set, with no set operation at all.
   */
  inR = false;
  inW = false;
}

/** The dispatcher's state of `s`, made on first use. */
export function stateOf(s: Selectable): SocketState {
  const st = s._slot as SocketState | null;
  if (st !== null) return st;
  const n = new SocketState();
  s._slot = n;
  return n;
}
