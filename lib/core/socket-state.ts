// What a dispatcher keeps per socket, in the one slot a Selectable lends it (`_slot`): the
// threads waiting on it, its name, its copas timeouts, its server handler. One object a socket,
// made the first time the dispatcher needs it; the hot path reads it with one field access.

import { READ, type Direction, type Selectable } from "../socket/select.js";
import type { Thread } from "./trampoline.js";

export class SocketState {
  // The fields every message reads come first (one cache line); V8 keeps definition order.
  /**
   * The first thread blocked reading, or null (then `rq` is empty too). Nearly every socket has
   * at most one waiter: held in a field, it costs no array to touch on each message.
   */
  r: Thread | null = null;
  /** Threads blocked reading after `r` (FIFO); null when none ever waited behind it. */
  rq: Thread[] | null = null;
  /**
   * In the dispatcher's reading / writing set. Kept as flags so the hot path asks these, not
   * the sets: a reader woken by data that waits again on the same socket within its resume
   * (every echo) leaves the socket in the set, with no set operation at all.
   */
  inR = false;
  /** Copas timeouts (seconds; Infinity: none) for connect, send and receive. */
  to: [number, number, number] | null = null;
  /** Server handler, when added with `addserver`. */
  handler: ((skt: never) => unknown) | null = null;
  /** The first thread blocked writing or connecting, or null (then `wq` is empty too). */
  w: Thread | null = null;
  /** Threads blocked writing or connecting after `w` (FIFO). */
  wq: Thread[] | null = null;
  /** In the dispatcher's writing set (see inR). */
  inW = false;
  /** Name given by `setsocketname` or by `addserver`. */
  name: string | null = null;
  /** Accepted clients so far, for names "<server>:client_N". */
  clients = 0;
  /** The wrapped (copas) socket made for this one, so wrapping twice gives the same object. */
  wrapped: object | null = null;
  /** A server added by a thread of a group (a simulated host): its handler threads join it. */
  group: string | null = null;
}

/** The dispatcher's state of `s`, made on first use. */
export function stateOf(s: Selectable): SocketState {
  const st = s._slot as SocketState | null;
  if (st !== null) return st;
  const n = new SocketState();
  s._slot = n;
  return n;
}

// The wait queues of a socket, one per direction: a head field and an array behind it.

/** Adds `t` at the end of the `dir` queue; true when it is now the only waiter. */
export function enqueue(st: SocketState, dir: Direction, t: Thread): boolean {
  if (dir === READ) {
    if (st.r === null) {
      st.r = t;
      return true;
    }
    if (st.rq === null) st.rq = [t]; // one slot, not [] then push (which reserves 17)
    else st.rq.push(t);
  } else {
    if (st.w === null) {
      st.w = t;
      return true;
    }
    if (st.wq === null) st.wq = [t];
    else st.wq.push(t);
  }
  return false;
}

/** Removes and gives the first waiter of the `dir` queue, or null. */
export function dequeue(st: SocketState, dir: Direction): Thread | null {
  if (dir === READ) {
    const t = st.r;
    st.r = st.rq !== null && st.rq.length > 0 ? st.rq.shift()! : null;
    return t;
  }
  const t = st.w;
  st.w = st.wq !== null && st.wq.length > 0 ? st.wq.shift()! : null;
  return t;
}

/** Takes `t` out of the `dir` queue, wherever it is. */
export function unqueue(st: SocketState, dir: Direction, t: Thread): void {
  const head = dir === READ ? st.r : st.w;
  if (head === t) {
    dequeue(st, dir);
    return;
  }
  const q = dir === READ ? st.rq : st.wq;
  const i = q === null ? -1 : q.indexOf(t);
  if (i !== -1) q!.splice(i, 1);
}

/** True when a thread waits in the `dir` queue. */
export function hasWaiter(st: SocketState, dir: Direction): boolean {
  return (dir === READ ? st.r : st.w) !== null;
}

/** Every waiting thread, readers first, each queue in order. */
export function waiters(st: SocketState): Thread[] {
  const all: Thread[] = [];
  if (st.r !== null) all.push(st.r, ...(st.rq ?? []));
  if (st.w !== null) all.push(st.w, ...(st.wq ?? []));
  return all;
}
