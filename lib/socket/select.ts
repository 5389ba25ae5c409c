import * as check from "../common/check.js";

/** Direction of interest. */
export const READ = 0;
export const WRITE = 1;
export type Direction = typeof READ | typeof WRITE;

/** Told when a watched socket becomes ready. Watches are one-shot: re-arm after each call. */
export interface Watcher {
  ready(s: Selectable, dir: Direction): void;
}

/**
 * What every socket (TCP, UDP, TLS, real or simulated) shares with the select layer.
 *
 * Readiness is edge-triggered towards watchers and level-checked by them: a watcher first asks
 * `_readable()`/`_writable()`, and only when the answer is no does it leave itself in `_rw`/`_ww`;
 * the socket clears the slot and calls it back on the next change. So an idle socket costs
 * nothing per step, whatever the number of open sockets.
 */
export abstract class Selectable {
  /** @internal Read watcher (the dispatcher's), called once when the socket becomes readable, then cleared. */
  _rw: Watcher | null = null;
  /**
   * @internal
   * The slot of the dispatcher that serves this socket (lib/core/socket-state.ts): its waiting
   * threads, name, timeouts. The socket layer never reads it; it lives here so the hot path
   * needs no map lookup. (Next to `_rw`: every read event reads both.)
   */
  _slot: object | null = null;
  /**
   * @internal
   * `socket.select`'s own read and write watchers: slots apart from the dispatcher's, so a
   * select and a copas thread waiting on one socket are both told, whichever came first.
   */
  _srw: Watcher | null = null;
  /** @internal Write watcher, likewise. */
  _ww: Watcher | null = null;
  /** @internal */
  _sww: Watcher | null = null;

  /** @internal Identity of the network this socket lives on (the real one, or a SimNetwork). */
  abstract readonly _network: object;
  /** @internal True when a receive (or accept) would not say "timeout". */
  abstract _readable(): boolean;
  /** @internal True when a send (or a pending connect) would not say "timeout". */
  abstract _writable(): boolean;
  /** LuaSocket's tostring: "tcp{client}: 0x...", "udp{unconnected}: ...". */
  abstract toString(): string;

  #timeout = -1;

  /**
   * Recorded for LuaSocket compatibility; these objects never block. Gives `1`.
   *
   * @lua `skt:settimeout(value [, mode])` (LuaSocket)
   */
  settimeout(value?: number | null, _mode?: string): 1 {
    this.#timeout = check.optNumber("settimeout", "value", value) ?? -1;
    return 1;
  }

  /**
   * The value last given to `settimeout` (-1: none).
   *
   * @lua `skt:gettimeout()` (LuaSocket)
   */
  gettimeout(): number {
    return this.#timeout;
  }

  /** @internal Calls and clears the read watcher, if any. */
  _fireRead(): void {
    const w = this._rw;
    if (w !== null) {
      this._rw = null;
      w.ready(this, READ);
    }
    const x = this._srw;
    if (x !== null) {
      this._srw = null;
      x.ready(this, READ);
    }
  }

  /** @internal Calls and clears the write watcher, if any. */
  _fireWrite(): void {
    const w = this._ww;
    if (w !== null) {
      this._ww = null;
      w.ready(this, WRITE);
    }
    const x = this._sww;
    if (x !== null) {
      this._sww = null;
      x.ready(this, WRITE);
    }
  }
}
