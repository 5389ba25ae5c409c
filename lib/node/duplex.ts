// A StreamLike (the simulated network's connection, or any other) as a Node Duplex, so node:tls
// can run over it; and the tracker that tells a virtual clock while such a TLS engine is busy.
//
// node:tls over a JavaScript stream works on Node's real event-loop turns (JSStreamSocket
// finishes every write and shutdown in a setImmediate; data moves on nextTicks). A virtual clock
// that jumps whenever its dispatcher idles would jump while the engine still has work queued on
// those turns: a handshake timeout could fire before a ClientHello already delivered is
// answered. So every call into the engine (bytes in, bytes out, write done, end, destroy, the
// plain side's writes and resumes) marks it busy, and it stays busy until QUIET event-loop turns
// in a row saw no such call: the clock holds its time meanwhile. No wall-clock time is read.

import { Duplex } from "node:stream";
import type { StreamLike } from "../socket/network.js";

/** What a clock offers to be held (a ManualClock's `_hold`/`_release`). */
export interface Busy {
  hold(): void;
  release(): void;
}

/**
 * Turns in a row without a call into the engine before it counts as idle. node:tls defers work
 * by one setImmediate at a time (each deferred step calls into the stream, which counts), and a
 * step queued in the same turn as the check runs after it: two quiet turns cover both.
 */
const QUIET = 2;

/** Holds `busy` while the TLS engine of one connection has real (event-loop) work in flight. */
export class Activity {
  #busy: Busy;
  #held = false;
  #calls = 0;
  #seen = 0;
  #quiet = 0;

  constructor(busy: Busy) {
    this.#busy = busy;
  }

  /** A call into the engine: busy until QUIET turns pass without another. */
  touch(): void {
    this.#calls++;
    if (this.#held) return;
    this.#held = true;
    this.#seen = this.#calls - 1;
    this.#quiet = 0;
    this.#busy.hold();
    setImmediate(this.#check);
  }

  #check = (): void => {
    if (this.#calls !== this.#seen) {
      this.#seen = this.#calls;
      this.#quiet = 0;
    } else if (++this.#quiet >= QUIET) {
      this.#held = false;
      this.#busy.release();
      return;
    }
    setImmediate(this.#check);
  };
}

function ignore(): void {}

/**
 * A Duplex over a StreamLike: what the StreamLike delivers is pushed (pausing it when the
 * Duplex's buffer is full), writes go to it, and a write is done when the StreamLike says so
 * (on the simulated network: when delivered), so node:tls feels its backpressure.
 */
export class StreamDuplex extends Duplex {
  #s: StreamLike;
  #a: Activity | null;

  /** `pending`: bytes already read off `s`, delivered first. */
  constructor(s: StreamLike, pending: Buffer, activity: Activity | null) {
    super({ allowHalfOpen: true });
    this.#s = s;
    this.#a = activity;
    if (pending.length > 0) this.push(pending);
    s.on("data", (chunk: Buffer) => {
      this.#a?.touch();
      if (!this.push(chunk)) s.pause();
    });
    s.on("end", () => {
      this.#a?.touch();
      this.push(null);
    });
    s.on("error", (e: Error) => {
      this.#a?.touch();
      this.destroy(e);
    });
    s.on("close", () => {
      this.#a?.touch();
      this.destroy();
    });
  }

  override _read(): void {
    this.#a?.touch();
    this.#s.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const a = this.#a;
    a?.touch();
    this.#s.write(chunk, "latin1", (err) => {
      a?.touch();
      cb(err);
    });
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#a?.touch();
    this.#s.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#a?.touch();
    const s = this.#s;
    if (!s.destroyed) {
      s.on("error", ignore); // the connection's late errors: nobody listens any more
      s.destroy();
    }
    cb(err);
  }
}
