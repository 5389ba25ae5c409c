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

import type { StreamLike } from "../network.js";

/** What a stream needs from its network. */
export interface SimFabric {
  readonly _clock: { now(): number; setTimer(s: number, fn: () => void): unknown; clearTimer(h: unknown): void };
  /** Seconds until a chunk sent now arrives (fixed, or drawn from the seed). */
  _delay(): number;
  _chunkSize: number;
  /** True when a partition separates hosts `a` and `b`. */
  _blocked(a: string, b: string): boolean;
  /** Runs `fn` again once `a` and `b` are healed. */
  _hold(a: string, b: string, fn: () => void): void;
  /** True when some dispatcher records a trace. */
  _tracing: boolean;
  _log(line: string): void;
}

type Fn = (...a: any[]) => void;

interface Chunk {
  /** null: the FIN (end of this direction). */
  data: Buffer | null;
  timer: unknown;
}

interface Pending {
  /** Delivered byte count at which the write is flushed. */
  end: number;
  cb: (err?: Error | null) => void;
}

function codeError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

function emit(list: Fn[] | null, arg?: unknown): void {
  if (list === null) return;
  if (list.length === 1) list[0]!(arg);
  else for (const f of list.slice()) f(arg);
}

/** @internal one end of a connection of a SimNetwork (made by its `connect` and listeners). */
export class SimStream implements StreamLike {
  readonly _fabric: SimFabric;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: string;
  destroyed = false;
  /** @internal the other end, once the connection is established. */
  _peer: SimStream | null = null;
  /** @internal server side: the listener whose backlog counts this stream until it is accepted. */
  _backlog: { queued: number } | null = null;

  #onData: Fn[] | null = null;
  #onEnd: Fn[] | null = null;
  #onError: Fn[] | null = null;
  #onClose: Fn[] | null = null;
  #onConnect: Fn[] | null = null;
  #onDrain: Fn[] | null = null;

  #wire: Chunk[] = [];
  #head = 0;
  #arrived = 0;
  #bytes = 0;
  #written = 0;
  #delivered = 0;
  #lastDue = 0;
  #cbs: Pending[] = [];
  #ended = false;
  #held = false;
  #paused: boolean;

  constructor(fabric: SimFabric, local: string, localPort: number, remote: string, remotePort: number, paused: boolean) {
    this._fabric = fabric;
    this.localAddress = local;
    this.localPort = localPort;
    this.remoteAddress = remote;
    this.remotePort = remotePort;
    this.remoteFamily = remote.includes(":") ? "IPv6" : "IPv4";
    this.#paused = paused;
  }

  /** "host:port>host:port", as in trace lines. */
  get _name(): string {
    return `${this.localAddress}:${this.localPort}>${this.remoteAddress}:${this.remotePort}`;
  }

  // ---- StreamLike ----------------------------------------------------------------------

  on(event: string, fn: Fn): this {
    switch (event) {
      case "data":
        (this.#onData ??= []).push(fn);
        break;
      case "end":
        (this.#onEnd ??= []).push(fn);
        break;
      case "error":
        (this.#onError ??= []).push(fn);
        break;
      case "close":
        (this.#onClose ??= []).push(fn);
        break;
      case "connect":
        (this.#onConnect ??= []).push(fn);
        break;
      case "drain":
        (this.#onDrain ??= []).push(fn);
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
      f._clock.setTimer(0, () => {
        cb?.(err);
        emit(this.#onError, err);
      });
      return false;
    }
    const buf =
      typeof data === "string"
        ? Buffer.from(data, encoding)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const n = buf.length;
    const size = f._chunkSize;
    if (n <= size) {
      if (n > 0) this.#send(buf);
    } else {
      for (let i = 0; i < n; i += size) this.#send(buf.subarray(i, i + size));
    }
    this.#written += n;
    if (cb !== undefined) {
      if (this.#delivered >= this.#written) f._clock.setTimer(0, () => cb(null));
      else this.#cbs.push({ end: this.#written, cb });
    }
    return true;
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
    this.#dequeue();
    emit(this.#onClose);
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

  // ---- the wire ------------------------------------------------------------------------

  #send(data: Buffer | null): void {
    const f = this._fabric;
    const clock = f._clock;
    const now = clock.now();
    let due = now + f._delay();
    if (due < this.#lastDue) due = this.#lastDue;
    this.#lastDue = due;
    if (data !== null) this.#bytes += data.length;
    this.#wire.push({ data, timer: clock.setTimer(due - now, this.#arrive) });
  }

  // Chunks arrive in wire order (arrival times never decrease), so a count is enough.
  #arrive = (): void => {
    this.#arrived++;
    this.#pump();
  };

  #pumpHeld = (): void => {
    this.#held = false;
    this.#pump();
  };

  #pump(): void {
    const f = this._fabric;
    const p = this._peer;
    while (this.#arrived > 0) {
      if (p === null || p.destroyed) {
        if (this.#wire[this.#head]!.data === null) {
          this.#shift(); // a FIN to a closed end: nothing to answer
          continue;
        }
        // Data nobody will read: a real stack answers with a reset.
        if (f._tracing) f._log(`refused ${this._name} peer closed, reset`);
        this.#drop(codeError("connection reset by peer", "ECONNRESET"));
        return;
      }
      if (p.#paused) return;
      if (f._blocked(this.localAddress, p.localAddress)) {
        if (!this.#held) {
          this.#held = true;
          if (f._tracing) f._log(`held ${this._name} partition`);
          f._hold(this.localAddress, p.localAddress, this.#pumpHeld);
        }
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
      while (cbs.length > 0 && cbs[0]!.end <= this.#delivered) cbs.shift()!.cb(null);
      if (this.#bytes === 0 && this.#onDrain !== null) emit(this.#onDrain);
    }
  }

  /** Takes the head chunk of the wire (it has arrived). */
  #shift(): Buffer | null {
    const c = this.#wire[this.#head]!;
    this.#wire[this.#head++] = undefined as unknown as Chunk;
    if (this.#head > 64 && this.#head * 2 > this.#wire.length) {
      this.#wire = this.#wire.slice(this.#head);
      this.#head = 0;
    }
    this.#arrived--;
    return c.data;
  }

  /** Drops the wire both ways and fails both ends with `err`. */
  #drop(err: Error): void {
    const p = this._peer;
    this.#dropOne(err);
    if (p !== null) p.#dropOne(err);
  }

  #dropOne(err: Error): void {
    const clock = this._fabric._clock;
    for (let i = this.#head; i < this.#wire.length; i++) clock.clearTimer(this.#wire[i]!.timer);
    this.#wire = [];
    this.#head = 0;
    this.#arrived = 0;
    this.#bytes = 0;
    const cbs = this.#cbs;
    this.#cbs = [];
    for (const c of cbs) c.cb(err);
    if (this.destroyed && this.#onError === null) return;
    const wasDestroyed = this.destroyed;
    this.destroyed = true;
    this.#ended = true;
    this.#dequeue();
    emit(this.#onError, err);
    if (!wasDestroyed) emit(this.#onClose);
  }
}
