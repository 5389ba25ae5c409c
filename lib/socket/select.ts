import * as check from "../common/check.js";
import type { Thread } from "../core/trampoline.js";

/** Direction of interest. */
export const READ = 0;
export const WRITE = 1;
export type Direction = typeof READ | typeof WRITE;

/** Told when a watched socket becomes ready. Watches are one-shot: re-arm after each call. */
export interface Watcher {
  _ready(s: Selectable, dir: Direction): void;
}

/**
 * What every socket (TCP, UDP, TLS, real or simulated) shares with the select layer.
 *
 * Readiness is edge-triggered towards watchers and level-checked by them: a watcher first asks
 * `_readable()`/`_writable()`, and only when the answer is no does it leave itself in `_rw`/`_ww`;
 * the socket clears the slot and calls it back on the next change. So an idle socket costs
 * nothing per step, whatever the number of open sockets.
 *
 * The `_c*` fields are bookkeeping owned by the dispatcher that serves the socket (queues of
 * waiting threads, names, copas timeouts); they live here so the hot path needs no map lookup.
 */
export abstract class Selectable {
  /** Read watcher (the dispatcher's), called once when the socket becomes readable, then cleared. */
  _rw: Watcher | null = null;
  /** Write watcher, likewise. */
  _ww: Watcher | null = null;
  /**
   * `socket.select`'s own read and write watchers: slots apart from the dispatcher's, so a
   * select and a copas thread waiting on one socket are both told, whichever came first.
   */
  _srw: Watcher | null = null;
  _sww: Watcher | null = null;

  /** Threads blocked reading (FIFO); null when none ever waited. */
  _crq: Thread[] | null = null;
  /** Threads blocked writing or connecting (FIFO). */
  _cwq: Thread[] | null = null;
  /** Name given by `setsocketname` or by `addserver`. */
  _cname: string | null = null;
  /** Copas timeouts (seconds; Infinity: none) for connect, send and receive. */
  _cto: [number, number, number] | null = null;
  /** Server handler, when added with `addserver`. */
  _chandler: ((skt: never) => unknown) | null = null;
  /** Accepted clients so far, for names "<server>:client_N". */
  _cclients = 0;
  /** The wrapped (copas) socket made for this one, so wrapping twice gives the same object. */
  _cwrapped: object | null = null;

  /** Identity of the network this socket lives on (the real one, or a SimNetwork). */
  abstract readonly _network: object;
  /** True when a receive (or accept) would not say "timeout". */
  abstract _readable(): boolean;
  /** True when a send (or a pending connect) would not say "timeout". */
  abstract _writable(): boolean;
  /** LuaSocket's tostring: "tcp{client}: 0x...", "udp{unconnected}: ...". */
  abstract toString(): string;

  #timeout = -1;

  /** Recorded for LuaSocket compatibility; these objects never block. Gives `1`. */
  settimeout(value?: number | null, _mode?: string): 1 {
    this.#timeout = check.optNumber("settimeout", "value", value) ?? -1;
    return 1;
  }

  /** The value last given to `settimeout` (-1: none). */
  gettimeout(): number {
    return this.#timeout;
  }

  /** Calls and clears the read watcher, if any. */
  _fireRead(): void {
    const w = this._rw;
    if (w !== null) {
      this._rw = null;
      w._ready(this, READ);
    }
    const x = this._srw;
    if (x !== null) {
      this._srw = null;
      x._ready(this, READ);
    }
  }

  /** Calls and clears the write watcher, if any. */
  _fireWrite(): void {
    const w = this._ww;
    if (w !== null) {
      this._ww = null;
      w._ready(this, WRITE);
    }
    const x = this._sww;
    if (x !== null) {
      this._sww = null;
      x._ready(this, WRITE);
    }
  }
}

export function isSelectable(v: unknown): v is Selectable {
  return v instanceof Selectable;
}
