// LuaSocket's TCP object, non-blocking, over a Node stream (net.Socket, tls.TLSSocket, or the
// simulated network's stream). Its methods never wait: where LuaSocket would block they return
// what is there and "timeout". Copas (or `socket.select`) does the waiting, told by the
// Selectable watchers when something changes.
//
// Life cycle: a master (socket.tcp()) becomes a client by connect, or a server by listen; a
// server's accept gives clients. Each client holds two bounded buffers: unread bytes (over
// `recv-buffer-size` the stream is paused, so the OS stops reading and the peer is slowed) and
// unsent bytes (over `send-buffer-size`, send takes only what fits and says "timeout").

import {
  ByteQueue,
  DEFAULT_MAX_LINE,
  DEFAULT_MAX_RECEIVE,
  MAX_RECEIVE_LIMIT,
  checkEncoding,
  checkLatin1,
  parsePattern,
  receiveFrom,
  toBytes,
  type Encoding,
} from "./patterns.js";
import { badHost, errorString, type ListenerLike, type Network, type StreamLike } from "./network.js";
import { Selectable } from "./select.js";
import * as check from "../common/check.js";
import type { Data, OkResult, Pattern, ReceiveResult, SendResult } from "../common/types.js";

type Kind = "master" | "client" | "server";
type Family = 4 | 6 | 0;

const EMPTY = Buffer.alloc(0);

function ignore(): void {}

/** Default bound of unsent bytes per socket (bytes); `setoption("send-buffer-size", n)`. */
export const DEFAULT_SEND_BUFFER = 64 * 1024;
/** Default bound of unread bytes per socket (bytes); `setoption("recv-buffer-size", n)`. */
export const DEFAULT_RECV_BUFFER = 64 * 1024;
/**
 * Seconds `close()` lets unsent data drain before it resets the connection, unless
 * `setoption("linger", { on: true, timeout })` says otherwise. Only the port's own buffer is
 * waited for (at most `send-buffer-size` bytes above what the kernel holds): a peer that does
 * not take that much in 10 s is stalled or gone, and the descriptor must not wait on it.
 */
export const DEFAULT_CLOSE_LINGER = 10;
/** Largest buffer bound `setoption` takes (bytes). */
const MAX_BUFFER_SIZE = 2 ** 31 - 1;

const enum Conn {
  Idle,
  Pending,
  /** Connected; the next connect() reports success. */
  Done,
  /** Connected and reported. */
  Reported,
  Failed,
}

/** A boolean option's value (LuaSocket takes nothing else). */
function bool(v: unknown): boolean {
  if (typeof v !== "boolean") check.fail("setoption", "value", "a boolean", v);
  return v;
}

/** A size option's value: an integer from 1 to `max` bytes. */
function size(v: unknown, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    check.fail("setoption", "value", `an integer from 1 to ${max} (bytes)`, v);
  }
  return v;
}

function familyOf(f: string | undefined): string {
  return f === "IPv6" || f === "inet6" ? "inet6" : "inet";
}

/**
 * A LuaSocket TCP object: `tcp{master}`, `tcp{client}` or `tcp{server}`.
 * Made by `socket.tcp()`, `socket.bind()`, `socket.connect()` or `server.accept()`.
 */
export class TcpSocket extends Selectable {
  // What a receive or send reads comes first, so it shares the first cache lines (V8 lays
  // fields out in definition order); what only set-up and closing use follows.
  /** @internal */
  readonly _network: Network;
  #kind: Kind;
  #stream: StreamLike | null = null;
  #q = new ByteQueue();
  #eof = false;
  #err: string | null = null;
  #closed = false;
  #conn = Conn.Idle;
  #enc: Encoding = "latin1";
  #sendLimit = DEFAULT_SEND_BUFFER;
  #recvLimit = DEFAULT_RECV_BUFFER;
  #paused = false;
  /** Own shutdown of the sending side ("send" or "both"): sends fail with "closed". */
  #wrShut = false;
  /** Own shutdown of the receiving side ("receive" or "both"): receives end at the queue. */
  #rdShut = false;
  /** Longest line a receive assembles; `setoption("max-line-size", n)`. */
  #maxLine = DEFAULT_MAX_LINE;
  /** Largest byte count or "*a" result; `setoption("max-receive-size", n)`. */
  #maxReceive = DEFAULT_MAX_RECEIVE;
  #rx = 0;
  #tx = 0;
  #family: Family;
  #listener: ListenerLike | null = null;
  /** Connections waiting to be accepted (a server's; null on other sockets). */
  #backlog: StreamLike[] | null = null;
  #bind: { host: string; port: number } | null = null;
  /** True once the data sent before the own shutdown of the sending side was flushed. */
  #drained = false;
  /** The timer that resets a closing connection whose data did not drain in time. */
  #lingerTimer: unknown = null;
  #born: number;
  /** Options set by `setoption`; made on first use (most sockets never set any). */
  #opts: Record<string, unknown> | null = null;
  /** The write callback that wakes a waiting sender; made the first time the buffer fills. */
  #flushed: (() => void) | null = null;
  /** Made by a server's accept (a TLS handshake then plays the server by default). */
  #accepted = false;
  /** The host name given to `connect` (TLS: the name to ask for and check). */
  #host: string | null = null;

  /** @internal use socket.tcp() and friends. */
  constructor(network: Network, family: Family, kind: Kind = "master", stream: StreamLike | null = null) {
    super();
    this._network = network;
    this.#family = family;
    this.#kind = kind;
    this.#born = network.clock.now();
    if (stream) this.#attach(stream, true);
  }

  // ---- stream events -------------------------------------------------------------------

  #attach(s: StreamLike, start: boolean): void {
    this.#stream = s;
    // Small anonymous arrows over shared methods: per-instance arrow fields cost more memory
    // per socket (tsx's keepNames gives each a `name` property and a property store).
    // Reads into the network's reused buffer when it offers one (no Buffer per chunk).
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a plain function of the network, called unbound
    const into = this._network.readInto;
    if (into === undefined || !into(s, (n, buf) => this.#onRead(n, buf))) s.on("data", (chunk: Buffer) => this.#onData(chunk));
    s.on("end", () => this.#onEnd());
    s.on("error", (e: Error) => this.#onError(e));
    s.on("close", () => this.#onClose());
    if (!start) s.on("connect", () => this.#onConnect());
    else s.resume();
  }

  #onData(chunk: Buffer): void {
    // Both directions shut: no new input is taken (the stream is paused; this is what Node had
    // read already).
    if (this.#rdShut && this.#wrShut) return;
    this.#q.push(chunk);
    this.#rx += chunk.length;
    if (!this.#paused && this.#q.length > this.#recvLimit) {
      this.#paused = true;
      this.#stream!.pause();
    }
    this._fireRead();
  }

  /**
   * A read into the network's reused buffer: queued in place, so a reader woken now (the loop
   * runs its step from here) takes its line straight from it; what is left is copied before
   * the buffer is reused.
   */
  #onRead(n: number, buf: Buffer): void {
    const q = this.#q;
    q.pushBorrowed(buf.subarray(0, n));
    this.#rx += n;
    if (!this.#paused && q.length > this.#recvLimit) {
      this.#paused = true;
      this.#stream!.pause();
    }
    this._fireRead();
    q.own();
  }

  #onEnd(): void {
    this.#eof = true;
    this._fireRead();
  }

  #onError(e: Error): void {
    const msg = errorString(e);
    if (this.#conn === Conn.Pending) this.#conn = Conn.Failed;
    if (this.#err === null) this.#err = msg;
    this._fireRead();
    this._fireWrite();
  }

  #onClose(): void {
    if (this.#conn === Conn.Pending) {
      this.#conn = Conn.Failed;
      this.#err ??= "connection refused";
    }
    this.#eof = true;
    this._fireRead();
    this._fireWrite();
  }

  #onConnect(): void {
    if (this.#conn === Conn.Pending) this.#conn = Conn.Done;
    this.#kind = "client";
    this._fireWrite();
  }

  // ---- readiness (Selectable) ----------------------------------------------------------

  /** @internal */
  _readable(): boolean {
    if (this.#closed || this.#err !== null || this.#eof || this.#rdShut) return true;
    if (this.#kind === "server") return this.#backlog !== null && this.#backlog.length > 0;
    return this.#q.ready;
  }

  /** @internal */
  _writable(): boolean {
    if (this.#closed || this.#err !== null || this.#wrShut) return true;
    if (this.#conn === Conn.Pending) return false;
    if (this.#conn === Conn.Done || this.#conn === Conn.Failed) return true;
    const s = this.#stream;
    return s === null || s.writableLength < this.#sendLimit;
  }

  // ---- master -> server ----------------------------------------------------------------

  /**
   * Records the local address; the OS work happens in `listen` (or `connect`).
   *
   * @returns `[1, null]`, or `[null, err]` (`"closed"`, `"already connected"`)
   * @throws TypeError for a host that is not a string or a port out of range
   * @lua `master:bind(address, port)` (LuaSocket)
   */
  bind(host: string, port: number | string): OkResult {
    check.string("bind", "host", host);
    const p = check.port("bind", "port", port);
    if (this.#closed) return [null, "closed"];
    if (this.#kind !== "master") return [null, "already connected"];
    if (badHost(host)) return [null, "host not found"];
    this.#bind = { host, port: p };
    return [1, null];
  }

  /**
   * Starts listening on the bound address (default backlog 511, as Node; LuaSocket: 32).
   *
   * @returns a Promise of `[1, null]`, or `[null, err]` (`"address already in use"`, `"permission denied"`, ...)
   * @lua `master:listen([backlog])` (LuaSocket)
   */
  async listen(backlog?: number): Promise<OkResult> {
    const b = check.optNumber("listen", "backlog", backlog) ?? 511;
    if (this.#closed) return [null, "closed"];
    if (this.#kind !== "master") return [null, "already connected"];
    const bind = this.#bind ?? { host: "*", port: 0 };
    const fam = this.#family;
    const host = bind.host === "*" ? (fam === 6 ? "::" : "0.0.0.0") : bind.host;
    const [l, err] = await this._network.listen({
      host,
      port: bind.port,
      backlog: Math.max(1, b),
      family: fam,
      onConnection: (s) => {
        if (this.#closed) {
          s.destroy();
          return;
        }
        // Until accepted nobody else listens: an error then (a reset) must not crash the
        // process; accept() attaches the real listeners.
        s.on("error", ignore);
        (this.#backlog ??= []).push(s);
        this._fireRead();
      },
    });
    if (err !== null) return [null, err];
    if (this.#closed) {
      l.close();
      return [null, "closed"];
    }
    this.#listener = l;
    this.#kind = "server";
    return [1, null];
  }

  /**
   * Takes one pending connection: `[client, null]`, or `[null, "timeout"]` when none waits.
   *
   * @lua `server:accept()` (LuaSocket)
   */
  accept(): [TcpSocket, null] | [null, string] {
    if (this.#closed) return [null, "closed"];
    if (this.#kind !== "server") return [null, "not listening"];
    const s = this.#backlog?.shift();
    if (s === undefined) return [null, "timeout"];
    const c = new TcpSocket(this._network, this.#family, "client", s);
    c.#conn = Conn.Reported;
    c.#accepted = true;
    c.#recvLimit = this.#recvLimit;
    c.#sendLimit = this.#sendLimit;
    c.#maxLine = this.#maxLine;
    c.#maxReceive = this.#maxReceive;
    // The kernel copies a listener's SO_LINGER to the connections it accepts.
    if (this.#opts !== null) c.#options().linger = this.#opts.linger;
    return [c, null];
  }

  // ---- master -> client ----------------------------------------------------------------

  /**
   * Non-blocking connect: the first call starts it and says "timeout"; once the socket is
   * writable, calling again gives `[1, null]` or the error ("connection refused", ...).
   *
   * @returns `[1, null]`, or `[null, err]` (`"timeout"` while in progress, `"connection refused"`, `"host not found"`, ...)
   * @lua `master:connect(address, port)` (LuaSocket)
   */
  connect(host: string, port: number | string): OkResult {
    check.string("connect", "host", host);
    const p = check.port("connect", "port", port);
    if (this.#closed) return [null, "closed"];
    switch (this.#conn) {
      case Conn.Idle: {
        if (this.#kind !== "master") return [null, "already connected"];
        if (badHost(host)) return [null, "host not found"];
        this.#conn = Conn.Pending;
        this.#host = host;
        const s = this._network.connect({
          host,
          port: p,
          family: this.#family,
          localAddress: this.#bind && this.#bind.host !== "*" ? this.#bind.host : undefined,
          localPort: this.#bind?.port || undefined,
        });
        this.#attach(s, false);
        return [null, "timeout"];
      }
      case Conn.Pending:
        return [null, "timeout"];
      case Conn.Done:
        this.#conn = Conn.Reported;
        return [1, null];
      case Conn.Reported:
        return [null, "already connected"];
      default:
        return [null, this.#err ?? "connection refused"];
    }
  }

  // ---- client data ---------------------------------------------------------------------

  /**
   * Receives by pattern: `"*l"` (default) a line without "\n" and "\r"; `"*a"` everything until
   * closed; a number, that many bytes (the prefix's length included, as LuaSocket). Only a
   * pattern's first two characters count (`"*line"`, `"*all"`).
   * Gives `[data, null, null]` or `[null, err, partial]`, err "timeout" or "closed", or past the
   * bounds "line too long" (`max-line-size`) / "size too large" (`max-receive-size`), the
   * rest staying queued so the connection remains usable.
   * After `close()` or `shutdown("receive")` the bytes already queued are still served.
   *
   * @throws TypeError for a bad pattern or prefix
   * @lua `client:receive([pattern [, prefix]])` (LuaSocket)
   */
  receive(pattern?: Pattern, prefix?: Data | null): ReceiveResult<Data> {
    const pat = parsePattern("receive", pattern);
    if (prefix !== undefined && prefix !== null && typeof prefix !== "string" && !(prefix instanceof Uint8Array)) {
      check.fail("receive", "prefix", "a string, a Uint8Array, null or undefined", prefix);
    }
    if (this.#kind !== "client") {
      if (this.#closed) return [null, "closed", null];
      if (this.#kind === "master" && this.#conn === Conn.Pending) return [null, "timeout", prefix ?? null];
      return [null, "closed", null];
    }
    const closedErr = this.#closed || this.#rdShut ? "closed" : (this.#err ?? (this.#eof ? "closed" : null));
    const r = receiveFrom(this.#q, pat, prefix, closedErr, this.#enc, this.#maxLine, this.#maxReceive);
    if (this.#paused && this.#q.length <= this.#recvLimit) this.#resume();
    return r;
  }

  /**
   * Sends bytes `i..j` of `data` (1-based, inclusive, negative from the end; as LuaSocket).
   * Takes what fits in the send buffer: `[j, null, null]` when all of it did, else
   * `[null, "timeout", lastIndexTaken]`; `[null, "closed", i - 1]` on a closed connection (an
   * empty range gives `[i - 1, null, null]` even then: LuaSocket makes no system call for it).
   * A string for a latin1 socket must be one byte per character (else a TypeError).
   *
   * @throws TypeError for data that is neither a string nor bytes
   * @lua `client:send(data [, i [, j]])` (LuaSocket)
   */
  send(data: Data, i?: number | null, j?: number | null): SendResult {
    let asString: boolean;
    if (typeof data === "string") {
      asString = this.#enc !== "utf8";
      if (asString) checkLatin1("send", data);
    } else if (data instanceof Uint8Array) asString = false;
    else check.fail("send", "data", "a string or a Uint8Array", data);
    const bytes: string | Buffer = asString ? (data as string) : toBytes(data, this.#enc);
    const size = bytes.length;
    let start = i === undefined || i === null ? 1 : Math.trunc(check.finite("send", "i", i));
    let end = j === undefined || j === null ? -1 : Math.trunc(check.finite("send", "j", j));
    if (start < 0) start = size + start + 1;
    if (end < 0) end = size + end + 1;
    if (start < 1) start = 1;
    if (end > size) end = size;
    // An empty range makes no system call in LuaSocket: [i - 1] even on a closed socket.
    if (start > end) return [start - 1, null, null];
    const s = this.#stream;
    if (this.#closed || this.#wrShut || this.#err !== null || s === null || s.destroyed) return [null, "closed", start - 1];
    // A failed write breaks the stream at once, its "error" event follows a tick later: until
    // then, sends would be taken and dropped (TLS to a peer that closed: a whole transfer).
    if (s.errored) return [null, (this.#err = errorString(s.errored)), start - 1];
    if (this.#conn === Conn.Pending) return [null, "timeout", start - 1];
    const space = this.#sendLimit - s.writableLength;
    if (space <= 0) return [null, "timeout", start - 1];
    const want = end - start + 1;
    const n = want < space ? want : space;
    const chunk =
      typeof bytes === "string"
        ? start === 1 && n === size
          ? bytes
          : bytes.substring(start - 1, start - 1 + n)
        : bytes.subarray(start - 1, start - 1 + n);
    // Told when this write is flushed only if it leaves the buffer full: then a waiting
    // sender is woken exactly once, when there is room again.
    if (n >= space) s.write(chunk, "latin1", (this.#flushed ??= () => this._fireWrite()));
    else s.write(chunk, "latin1");
    // The OS refused these very bytes (EPIPE, ECONNRESET: the peer is gone; Node reports it
    // only later): nothing was sent, as LuaSocket's send would say.
    if (s.errored) return [null, (this.#err = errorString(s.errored)), start - 1];
    this.#tx += n;
    if (n === want) return [end, null, null];
    return [null, "timeout", start - 1 + n];
  }

  /**
   * Closes the socket. Unsent data is still flushed to the peer, for at most the linger time
   * (`DEFAULT_CLOSE_LINGER` seconds, or `setoption("linger", { on: true, timeout })`); what is
   * left then is dropped and the connection reset, so the peer sees an error rather than a
   * clean end. Linger `{ on: true, timeout: 0 }` resets at once. Bytes already received stay
   * to be received. Always `1`.
   *
   * @lua `client:close()` (LuaSocket)
   */
  close(): 1 {
    if (this.#closed) return 1;
    this.#closed = true;
    const s = this.#stream;
    if (s !== null) {
      s.removeAllListeners("data");
      s.removeAllListeners("end");
      s.removeAllListeners("connect");
      s.removeAllListeners("close");
      const linger = this.#opts?.linger as { on: boolean; timeout: number } | undefined;
      const limit = linger?.on ? linger.timeout : DEFAULT_CLOSE_LINGER;
      const pending = this.#wrShut ? !this.#drained : s.writableLength > 0 || this._flushOnClose;
      if (limit === 0 && linger?.on) this.#reset();
      else if (!pending || s.destroyed || s.errored) s.destroy();
      else {
        // Input that arrives meanwhile is read and dropped: left unread in the kernel, it would
        // make the final close a reset that destroys the data being flushed.
        s.on("data", ignore);
        s.resume();
        if (!this.#wrShut) {
          s.write(EMPTY, "latin1", () => this.#finishClose());
          s.end();
        }
        // else #shutFlushed finishes it
        this.#lingerTimer = this._network.clock.setTimer(limit, () => {
          this.#lingerTimer = null;
          this.#reset();
        });
      }
    }
    if (this.#listener !== null) {
      this.#listener.close();
      this.#listener = null;
    }
    if (this.#backlog !== null) {
      for (const b of this.#backlog) b.destroy();
      this.#backlog.length = 0;
    }
    this._fireRead();
    this._fireWrite();
    return 1;
  }

  /** Reads from the OS again, unless no input may be taken any more. */
  #resume(): void {
    if (this.#closed || (this.#rdShut && this.#wrShut) || this.#stream === null) return;
    this.#paused = false;
    this.#stream.resume();
  }

  /** The flush after close is over: the descriptor goes. */
  #finishClose(): void {
    const t = this.#lingerTimer;
    if (t !== null) {
      this.#lingerTimer = null;
      this._network.clock.clearTimer(t);
    }
    this.#stream?.destroy();
  }

  /**
   * Drops unsent data and resets the connection (SO_LINGER 0), where the stream can; else it
   * just destroys it (a TLS stream has no TCP handle of its own: Node throws, and the peer sees
   * the TLS stream cut without close_notify, an error too).
   */
  #reset(): void {
    const s = this.#stream;
    if (s === null || s.destroyed) return;
    if (s.resetAndDestroy !== undefined) {
      try {
        s.resetAndDestroy();
        return;
      } catch {
        // ERR_INVALID_HANDLE_TYPE
      }
    }
    s.destroy();
  }

  /** Told when the flush after a shutdown or close is over; made on first use (a per-socket arrow
   * field would cost every connection a closure, most never need it). */
  #shutFlushed: (() => void) | null = null;

  #onShutFlushed(): () => void {
    return (this.#shutFlushed ??= () => {
      this.#drained = true;
      if (this.#closed) this.#finishClose();
    });
  }

  /**
   * Half-closes: "send" (FIN after flushing; later sends fail with "closed"), "receive" (the
   * bytes already queued are still received, then "closed" whenever nothing is queued; as on
   * Linux, input arriving later is still taken), or "both" (default): the queued bytes are still
   * received, and no new input is taken (it is left unread, so close() then resets the
   * connection, where Linux resets it as the input arrives). Gives `1`.
   *
   * @lua `client:shutdown([mode])` (LuaSocket)
   */
  shutdown(mode: "both" | "send" | "receive" = "both"): 1 {
    if (mode !== "both" && mode !== "send" && mode !== "receive") {
      check.fail("shutdown", "mode", '"both", "send" or "receive"', mode);
    }
    const s = this.#stream;
    if (s === null || this.#closed) return 1;
    if (mode !== "receive" && !this.#wrShut) {
      this.#wrShut = true;
      // Known when it is flushed, so that a close() later need not wait longer.
      if (s.writableLength > 0 || this._flushOnClose) s.write(EMPTY, "latin1", this.#onShutFlushed());
      else this.#drained = true;
      s.end();
      this._fireWrite();
    }
    if (mode !== "send") {
      this.#rdShut = true;
      this._fireRead();
    }
    if (this.#rdShut && this.#wrShut && !this.#paused) {
      this.#paused = true;
      s.pause();
    }
    return 1;
  }

  /**
   * True when received bytes wait unread.
   *
   * @lua `client:dirty()` (LuaSocket)
   */
  dirty(): boolean {
    return this.#q.length > 0;
  }

  /**
   * `[bytesReceived, bytesSent, ageSeconds]`.
   *
   * @lua `client:getstats()` (LuaSocket)
   */
  getstats(): [number, number, number] {
    return [this.#rx, this.#tx, this._network.clock.now() - this.#born];
  }

  /**
   * Resets the statistics; gives `1`.
   *
   * @lua `client:setstats(received, sent, age)` (LuaSocket)
   */
  setstats(received?: number, sent?: number, age?: number): 1 {
    const rx = check.optNumber("setstats", "received", received);
    const tx = check.optNumber("setstats", "sent", sent);
    const ag = check.optNumber("setstats", "age", age);
    if (rx !== undefined) this.#rx = rx;
    if (tx !== undefined) this.#tx = tx;
    if (ag !== undefined) this.#born = this._network.clock.now() - ag;
    return 1;
  }

  /**
   * `[ip, port, family]` of the local end, or `[null, err]`.
   *
   * @lua `client:getsockname()` (LuaSocket)
   */
  getsockname(): [string, number, string] | [null, string] {
    if (this.#closed) return [null, "closed"];
    if (this.#kind === "server" && this.#listener) {
      const a = this.#listener.address();
      if (a && typeof a === "object") return [a.address, a.port, familyOf(a.family)];
    }
    const s = this.#stream;
    if (s && s.localAddress !== undefined) {
      return [s.localAddress, s.localPort ?? 0, familyOf(s.remoteFamily ?? (this.#family === 6 ? "IPv6" : "IPv4"))];
    }
    if (this.#bind) return [this.#bind.host === "*" ? "0.0.0.0" : this.#bind.host, this.#bind.port, familyOf(this.#family === 6 ? "IPv6" : "IPv4")];
    return [this.#family === 6 ? "::" : "0.0.0.0", 0, familyOf(this.#family === 6 ? "IPv6" : "IPv4")];
  }

  /**
   * `[ip, port, family]` of the peer, or `[null, err]`.
   *
   * @lua `client:getpeername()` (LuaSocket)
   */
  getpeername(): [string, number, string] | [null, string] {
    if (this.#closed) return [null, "closed"];
    const s = this.#stream;
    if (this.#kind !== "client" || !s || s.remoteAddress === undefined) return [null, "not connected"];
    return [s.remoteAddress, s.remotePort ?? 0, familyOf(s.remoteFamily)];
  }

  /**
   * Options: "tcp-nodelay", "keepalive", "reuseaddr", "reuseport" (booleans, as LuaSocket),
   * "linger" (`{ on: boolean, timeout: seconds }`: how long `close()` lets unsent data drain;
   * timeout 0 resets at once), and the bounds of this port's buffers (bytes):
   * "send-buffer-size" and "recv-buffer-size" (1 to 2^31 - 1), "max-line-size" (the longest
   * line a receive assembles) and "max-receive-size" (the largest byte count or "*a" result),
   * both 1 to 2^29 - 24.
   *
   * @returns `[1, null]`, or `[null, err]`
   * @throws TypeError for an unknown option or a bad value
   * @lua `client:setoption(option [, value])` (LuaSocket)
   */
  setoption(name: string, value?: unknown): OkResult {
    check.string("setoption", "name", name);
    const s = this.#stream;
    switch (name) {
      case "tcp-nodelay":
        this.#options()[name] = bool(value);
        s?.setNoDelay(value as boolean);
        return [1, null];
      case "keepalive":
        this.#options()[name] = bool(value);
        s?.setKeepAlive(value as boolean);
        return [1, null];
      case "reuseaddr":
      case "reuseport":
        this.#options()[name] = bool(value);
        return [1, null];
      case "linger": {
        const v = value as { on?: unknown; timeout?: unknown } | null;
        if (
          typeof v !== "object" ||
          v === null ||
          typeof v.on !== "boolean" ||
          typeof v.timeout !== "number" ||
          !(v.timeout >= 0 && v.timeout <= 65535)
        ) {
          check.fail("setoption", "value", "a table { on: boolean, timeout: seconds from 0 to 65535 }", value);
        }
        this.#options()[name] = { on: v.on, timeout: v.timeout };
        return [1, null];
      }
      case "send-buffer-size":
        this.#sendLimit = size(value, MAX_BUFFER_SIZE);
        if (this._writable()) this._fireWrite(); // a larger bound may let a waiting sender go on
        return [1, null];
      case "recv-buffer-size":
        this.#recvLimit = size(value, MAX_BUFFER_SIZE);
        if (this.#paused && this.#q.length <= this.#recvLimit) this.#resume();
        return [1, null];
      case "max-line-size":
        this.#maxLine = size(value, MAX_RECEIVE_LIMIT);
        return [1, null];
      case "max-receive-size":
        this.#maxReceive = size(value, MAX_RECEIVE_LIMIT);
        return [1, null];
      default:
        throw new TypeError(`setoption: bad argument 'name' (unsupported option '${name}')`);
    }
  }

  #options(): Record<string, unknown> {
    return (this.#opts ??= { "tcp-nodelay": false, keepalive: false, reuseaddr: true, linger: { on: false, timeout: 0 } });
  }

  /**
   * `[value, null]` for an option `setoption` takes.
   *
   * @lua `client:getoption(option)` (LuaSocket)
   */
  getoption(name: string): [unknown, null] | [null, string] {
    check.string("getoption", "name", name);
    if (name === "send-buffer-size") return [this.#sendLimit, null];
    if (name === "recv-buffer-size") return [this.#recvLimit, null];
    if (name === "max-line-size") return [this.#maxLine, null];
    if (name === "max-receive-size") return [this.#maxReceive, null];
    const opts = this.#options();
    if (name in opts) {
      const v = opts[name];
      // A copy: changing the table given back must not change the option.
      return [name === "linger" ? { ...(v as object) } : v, null];
    }
    throw new TypeError(`getoption: bad argument 'name' (unsupported option '${name}')`);
  }

  /**
   * How received data is given: "latin1" (default, one char per byte), "utf8" or "buffer".
   *
   * @returns `1`
   * @throws TypeError for any other encoding
   * @lua (none: Lua strings are bytes; a copas addition)
   */
  setencoding(enc: Encoding): 1 {
    this.#enc = checkEncoding(enc);
    return 1;
  }

  /**
   * The encoding set by `setencoding` (default `"latin1"`).
   *
   * @lua (none: a copas addition)
   */
  getencoding(): Encoding {
    return this.#enc;
  }

  /**
   * `tcp{master}`, `tcp{client}`, `tcp{server}` (or `tcp{closed}` once closed).
   *
   * @lua `tostring(tcp)` (LuaSocket)
   */
  override toString(): string {
    return this.#closed ? "tcp{closed}" : `tcp{${this.#kind}}`;
  }

  /** @internal true when the stream may hold output of its own (TLS): close then flushes first. */
  protected _flushOnClose = false;

  /** @internal the carrying stream and the bytes read but not yet received, for a TLS upgrade. */
  _takeStream(): { stream: StreamLike; pending: Buffer } | null {
    const s = this.#stream;
    if (s === null || this.#closed) return null;
    s.removeAllListeners("data");
    s.removeAllListeners("end");
    s.removeAllListeners("error");
    s.removeAllListeners("close");
    s.removeAllListeners("connect");
    s.pause();
    const pending = this.#q.takeAll();
    this.#stream = null;
    this.#closed = true;
    return { stream: s, pending: Buffer.from(pending) };
  }

  /** @internal the encoding and bounds, to copy onto a socket that replaces this one. */
  _copySettings(to: TcpSocket): void {
    to.#enc = this.#enc;
    to.#sendLimit = this.#sendLimit;
    to.#recvLimit = this.#recvLimit;
    to.#maxLine = this.#maxLine;
    to.#maxReceive = this.#maxReceive;
    if (this.#opts !== null) to.#options().linger = this.#opts.linger;
    to.#conn = Conn.Reported;
  }

  /** @internal made by a server's accept: a TLS handshake plays the server unless told. */
  get _accepted(): boolean {
    return this.#accepted;
  }

  /** @internal the host name given to `connect`, or null (TLS: SNI and the name checked). */
  get _peerHost(): string | null {
    return this.#host;
  }

  /** @internal used by tests and TLS: the raw stream. */
  get _stream(): StreamLike | null {
    return this.#stream;
  }
}

