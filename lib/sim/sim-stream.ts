// One end of a simulated TCP connection, shaped like the part of net.Socket that TcpSocket uses
// (StreamLike), so the LuaSocket layer runs on it unchanged. Events are emitted synchronously,
// from the clock's timers (deliveries) or from the calls that cause them.
//
// Each end owns its outbound direction (the "wire"): chunks written but not yet delivered to
// the peer, each at most chunkSize bytes, each with its own arrival time (latency drawn per
// chunk, never before the chunk ahead of it, so bytes stay in order). A chunk is delivered
// when it has arrived, the peer is not paused (TcpSocket pauses it while its unread buffer is
// over its bound, and a server's connection is paused until accepted) and no partition lies
// between the two hosts. `writableLength` counts the bytes still on the wire, so the sender's
// bounded send buffer fills when the receiver stops reading: the same backpressure as `net`.

import type { StreamLike } from "../socket/network.js";
import type { FaultPlan } from "./faults.js";
import { ManualClock } from "./manual-clock.js";

/** What a stream needs from its network. */
export interface SimFabric {
  readonly clock: { now(): number; setTimer(s: number, fn: () => void): unknown; clearTimer(h: unknown): void };
  /** Seconds until a chunk sent now from host `a` to host `b` arrives (fixed, or drawn from the seed). */
  _delay(a: string, b: string): number;
  _chunkSize: number;
  /** True when a partition separates hosts `a` and `b`, or one of them is down. */
  _blocked(a: string, b: string): boolean;
  /** Hosts down now (crashed, not restarted). */
  _downs: number;
  _isDown(host: string): boolean;
  /** Seeded faults, when some per-delivery fault is on (else null: the hot paths skip them). */
  _faults: FaultPlan | null;
  /** This stream is closed or dead: the network forgets it. */
  _gone(s: SimStream): void;
  /** Runs `fn` again once `a` and `b` are healed. */
  _hold(a: string, b: string, fn: () => void): void;
  /** True when some dispatcher records a trace. */
  _tracing: boolean;
  _log(line: string): void;
}

type Fn = (...a: any[]) => void;
/** Listeners of one event: most events have one, kept without an array. */
type Listeners = Fn | Fn[] | null;

/**
 * A chunk on the wire. On a ManualClock it is also its own timer entry (the clock calls
 * `chunk.fn()` when it arrives), so sending a chunk makes one object.
 */
class Chunk {
  time = 0;
  seq = 0;
  index = -1;
  /** The clock's handle: the chunk itself on a ManualClock. */
  timer: unknown = null;
  /** The chunk after this one on the wire. */
  next: Chunk | null = null;
  constructor(
    readonly stream: SimStream,
    /** null: the FIN (end of this direction). */
    public data: Buffer | null,
  ) {}

  fn(): void {
    this.stream._arrive();
  }
}

interface Pending {
  /** Delivered byte count at which the write is flushed. */
  end: number;
  cb: (err?: Error | null) => void;
}

/** Strings up to this length are encoded by latin1Bytes. */
const SHORT = 64;

/**
 * `Buffer.from(s, "latin1")` for a short string, without the native call: a Uint8Array store
 * keeps the low byte of each char code, exactly as latin1 encoding does.
 */
function latin1Bytes(s: string): Buffer {
  const n = s.length;
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = s.charCodeAt(i);
  return b;
}

function codeError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

function listen(l: Listeners, fn: Fn): Fn | Fn[] {
  if (l === null) return fn;
  if (typeof l === "function") return [l, fn];
  l.push(fn);
  return l;
}

function emit(l: Listeners, arg?: unknown): void {
  if (l === null) return;
  if (typeof l === "function") l(arg);
  else for (const f of l.slice()) f(arg);
}

/** @internal one end of a connection of a SimNetwork (made by its `connect` and listeners). */
export class SimStream implements StreamLike {
  // Declared in the order of use on a delivery, so that it touches few cache lines of the
  // two ends (with 10,000 connections, each delivery finds them cold).
  /** @internal the other end, once the connection is established. */
  _peer: SimStream | null = null;
  destroyed = false;
  #paused: boolean;
  #onData: Listeners = null;
  /** The wire: the oldest chunk not yet delivered, and the newest (linked by `next`). */
  #first: Chunk | null = null;
  #last: Chunk | null = null;
  /** A delivered chunk kept for the next write: no allocation per chunk once a stream runs. */
  #spare: Chunk | null = null;
  /** How many chunks from #first have arrived (they arrive in wire order). */
  #arrived = 0;
  #bytes = 0;
  #delivered = 0;
  /** Write callbacks waiting for their bytes to be delivered; null when none. */
  #cbs: Pending[] | null = null;
  #onDrain: Listeners = null;
  #held = false;
  readonly _fabric: SimFabric;
  /** The fabric's clock when it is a ManualClock (chunks are then their own timers). */
  readonly #manual: ManualClock | null;
  /** Arrival time of the last chunk sent. -0, not 0: a double from the start, so the first
   *  real time stored does not deprecate the shape of every stream made before it. */
  #lastDue = -0;
  #written = 0;
  #ended = false;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: string;
  /** @internal server side: the listener whose backlog counts this stream until it is accepted. */
  _backlog: { queued: number } | null = null;

  #onEnd: Listeners = null;
  #onError: Listeners = null;
  #onClose: Listeners = null;
  #onConnect: Listeners = null;

  constructor(fabric: SimFabric, local: string, localPort: number, remote: string, remotePort: number, paused: boolean) {
    this._fabric = fabric;
    this.localAddress = local;
    this.localPort = localPort;
    this.remoteAddress = remote;
    this.remotePort = remotePort;
    this.remoteFamily = remote.includes(":") ? "IPv6" : "IPv4";
    this.#paused = paused;
    this.#manual = fabric.clock instanceof ManualClock ? fabric.clock : null;
  }

  /** "host:port>host:port", as in trace lines. */
  get _name(): string {
    return `${this.localAddress}:${this.localPort}>${this.remoteAddress}:${this.remotePort}`;
  }

  // ---- StreamLike ----------------------------------------------------------------------

  on(event: string, fn: Fn): this {
    switch (event) {
      case "data":
        this.#onData = listen(this.#onData, fn);
        break;
      case "end":
        this.#onEnd = listen(this.#onEnd, fn);
        break;
      case "error":
        this.#onError = listen(this.#onError, fn);
        break;
      case "close":
        this.#onClose = listen(this.#onClose, fn);
        break;
      case "connect":
        this.#onConnect = listen(this.#onConnect, fn);
        break;
      case "drain":
        this.#onDrain = listen(this.#onDrain, fn);
        break;
      default:
        break;
    }
    return this;
  }

  removeAllListeners(event?: string): this {
    if (event === undefined || event === "data") this.#onData = null;
    if (event === undefined || event === "end") this.#onEnd = null;
    if (event === undefined || event === "error") this.#onError = null;
    if (event === undefined || event === "close") this.#onClose = null;
    if (event === undefined || event === "connect") this.#onConnect = null;
    if (event === undefined || event === "drain") this.#onDrain = null;
    return this;
  }

  /** Bytes written and not yet delivered to the peer. */
  get writableLength(): number {
    return this.#bytes;
  }

  write(data: string | Uint8Array, encoding: BufferEncoding, cb?: (err?: Error | null) => void): boolean {
    const f = this._fabric;
    if (this.destroyed || this.#ended) {
      const err = this.destroyed
        ? codeError("cannot call write after a stream was destroyed", "ERR_STREAM_DESTROYED")
        : codeError("write after end", "ERR_STREAM_WRITE_AFTER_END");
      f.clock.setTimer(0, () => {
        cb?.(err);
        emit(this.#onError, err);
      });
      return false;
    }
    const buf =
      typeof data === "string"
        ? data.length <= SHORT && (encoding === "latin1" || encoding === "binary")
          ? latin1Bytes(data)
          : Buffer.from(data, encoding)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const n = buf.length;
    const size = f._chunkSize;
    const fp = f._faults;
    if (fp !== null && fp.at(this.localAddress, this.remoteAddress).chunkSize[1] > 0) {
      this.#split(fp, buf);
    } else if (n <= size) {
      if (n > 0) this.#send(buf);
    } else {
      for (let i = 0; i < n; i += size) this.#send(buf.subarray(i, i + size));
    }
    this.#written += n;
    if (cb !== undefined) {
      if (this.#delivered >= this.#written) f.clock.setTimer(0, () => cb(null));
      else (this.#cbs ??= []).push({ end: this.#written, cb });
    }
    return true;
  }

  /** Sends `buf` in chunks of sizes drawn from the fault plan's range. */
  #split(fp: FaultPlan, buf: Buffer): void {
    const [lo, hi] = fp.at(this.localAddress, this.remoteAddress).chunkSize;
    const n = buf.length;
    let k = 0;
    for (let i = 0; i < n; k++) {
      const size = lo === hi ? lo : lo + fp.rng.int(hi - lo + 1);
      this.#send(buf.subarray(i, i + size));
      i += size;
    }
    if (k > 1 && this._fabric._tracing) this._fabric._log(`fault split ${this._name} ${n} bytes in ${k} chunks`);
  }

  /** Half-close: a FIN follows the data written so far. */
  end(): this {
    if (this.#ended || this.destroyed) return this;
    this.#ended = true;
    this.#send(null);
    return this;
  }

  /**
   * Closes this end. Data already written still reaches the peer (it is in flight), then the
   * peer sees the end; data arriving here afterwards is refused with a reset.
   */
  destroy(): this {
    if (this.destroyed) return this;
    this.end();
    this.destroyed = true;
    this._fabric._gone(this);
    this.#dequeue();
    emit(this.#onClose);
    return this;
  }

  /** Closes this end with a reset (SO_LINGER 0): undelivered data both ways is dropped, the peer sees ECONNRESET. */
  resetAndDestroy(): this {
    if (this.destroyed) return this;
    this.#drop(codeError("connection reset by peer", "ECONNRESET"));
    return this;
  }

  pause(): this {
    this.#paused = true;
    return this;
  }

  resume(): this {
    this.#paused = false;
    this.#dequeue();
    const p = this._peer;
    if (p !== null && p.#arrived > 0) p.#pump();
    return this;
  }

  #dequeue(): void {
    const l = this._backlog;
    if (l !== null) {
      l.queued--;
      this._backlog = null;
    }
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  // ---- connection life (called by SimNetwork) ------------------------------------------

  /** @internal the connection is established (SYN-ACK arrived). */
  _connected(): void {
    if (!this.destroyed) emit(this.#onConnect);
  }

  /** @internal the connection failed (refused, host not found): error then close. */
  _fail(err: Error): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this._fabric._gone(this);
    this.#ended = true;
    emit(this.#onError, err);
    emit(this.#onClose);
  }

  /** @internal arrival times of the peer's chunks start after `due` (the SYN-ACK). */
  _after(due: number): void {
    if (due > this.#lastDue) this.#lastDue = due;
  }

  /** @internal reset: undelivered data is dropped and both ends see ECONNRESET. */
  _reset(): void {
    this.#drop(codeError("connection reset by peer", "ECONNRESET"));
  }

  /**
   * @internal this end's host crashed: what it had not delivered is lost and it is dead
   * ("closed" to whoever still holds it). The peer is told nothing: its data waits while the
   * host is down (silence, as retransmissions to a dead host) and is answered with a reset
   * once the host is back.
   */
  _crash(): void {
    if (this.destroyed) return;
    this.#dropOne(codeError("connection reset by peer", "ECONNRESET"));
  }

  // ---- the wire ------------------------------------------------------------------------

  #send(data: Buffer | null): void {
    const f = this._fabric;
    const clock = f.clock;
    const now = clock.now();
    let due = now + f._delay(this.localAddress, this.remoteAddress);
    if (due < this.#lastDue) due = this.#lastDue;
    this.#lastDue = due;
    if (data !== null) this.#bytes += data.length;
    let c = this.#spare;
    if (c === null) c = new Chunk(this, data);
    else {
      this.#spare = null;
      c.data = data;
    }
    const m = this.#manual;
    if (m !== null) {
      m._schedule(c, due - now);
      c.timer = c;
    } else {
      c.timer = clock.setTimer(due - now, () => this._arrive());
    }
    const last = this.#last;
    if (last === null) this.#first = c;
    else last.next = c;
    this.#last = c;
  }

  /**
   * @internal the head chunk not yet arrived has arrived. Chunks arrive in wire order (arrival
   * times never decrease), so a count is enough.
   */
  _arrive(): void {
    this.#arrived++;
    this.#pump();
  }

  /** Resumes delivery after a partition healed (made on the first hold). */
  #pumpHeld: (() => void) | null = null;

  #pump(): void {
    const f = this._fabric;
    const p = this._peer;
    while (this.#arrived > 0) {
      if (p === null || p.destroyed) {
        if (this.#first!.data === null) {
          this.#shift(); // a FIN to a closed end: nothing to answer
          continue;
        }
        // A crashed host answers nothing until it is back (then with a reset).
        if (p !== null && f._downs > 0 && f._isDown(p.localAddress)) {
          this.#hold(f, p);
          return;
        }
        // Data nobody will read: a real stack answers with a reset.
        if (f._tracing) f._log(`refused ${this._name} peer closed, reset`);
        this.#drop(codeError("connection reset by peer", "ECONNRESET"));
        return;
      }
      if (p.#paused) return;
      if (f._blocked(this.localAddress, p.localAddress)) {
        this.#hold(f, p);
        return;
      }
      const fp = f._faults;
      if (fp !== null && this.#first!.data !== null && fp.chance(fp.at(this.localAddress, p.localAddress).reset)) {
        if (f._tracing) f._log(`fault reset ${this._name}${fp.tag()}`);
        this.#drop(codeError("connection reset by peer", "ECONNRESET"));
        return;
      }
      const d = this.#shift();
      if (d === null) {
        if (f._tracing) f._log(`fin ${this._name}`);
        emit(p.#onEnd);
        continue;
      }
      this.#bytes -= d.length;
      this.#delivered += d.length;
      if (f._tracing) f._log(`deliver ${this._name} ${d.length} bytes`);
      emit(p.#onData, d);
      const cbs = this.#cbs;
      if (cbs !== null) {
        while (cbs.length > 0 && cbs[0]!.end <= this.#delivered) cbs.shift()!.cb(null);
      }
      if (this.#bytes === 0 && this.#onDrain !== null) emit(this.#onDrain);
    }
  }

  /** Delivery waits until the hosts are healed (or the peer's host is back). */
  #hold(f: SimFabric, p: SimStream): void {
    if (this.#held) return;
    this.#held = true;
    if (f._tracing) f._log(`held ${this._name} ${f._isDown(p.localAddress) || f._isDown(this.localAddress) ? "host down" : "partition"}`);
    f._hold(
      this.localAddress,
      p.localAddress,
      (this.#pumpHeld ??= () => {
        this.#held = false;
        this.#pump();
      }),
    );
  }

  /** Takes the head chunk of the wire (it has arrived). */
  #shift(): Buffer | null {
    const c = this.#first!;
    const next = c.next;
    this.#first = next;
    if (next === null) this.#last = null;
    else c.next = null;
    this.#arrived--;
    const d = c.data;
    // It has fired and left the wire: nothing refers to it any more.
    c.data = null;
    this.#spare = c;
    return d;
  }

  /** Drops the wire both ways and fails both ends with `err`. */
  #drop(err: Error): void {
    const p = this._peer;
    this.#dropOne(err);
    if (p !== null) p.#dropOne(err);
  }

  #dropOne(err: Error): void {
    const clock = this._fabric.clock;
    for (let c = this.#first; c !== null; c = c.next) clock.clearTimer(c.timer);
    this.#first = null;
    this.#last = null;
    this.#arrived = 0;
    this.#bytes = 0;
    const cbs = this.#cbs;
    this.#cbs = null;
    if (cbs !== null) for (const c of cbs) c.cb(err);
    if (this.destroyed && this.#onError === null) return;
    const wasDestroyed = this.destroyed;
    this.destroyed = true;
    if (!wasDestroyed) this._fabric._gone(this);
    this.#ended = true;
    this.#dequeue();
    emit(this.#onError, err);
    if (!wasDestroyed) emit(this.#onClose);
  }
}
