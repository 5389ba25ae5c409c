// LuaSocket's TCP object, non-blocking, over a Node stream (net.Socket, tls.TLSSocket, or the
// simulated network's stream). Its methods never wait: where LuaSocket would block they return
// what is there and "timeout". Copas (or `socket.select`) does the waiting, told by the
// Selectable watchers when something changes.
//
// Life cycle: a master (socket.tcp()) becomes a client by connect, or a server by listen; a
// server's accept gives clients. Each client holds two bounded buffers: unread bytes (over
// `recv-buffer-size` the stream is paused, so the OS stops reading and the peer is slowed) and
// unsent bytes (over `send-buffer-size`, send takes only what fits and says "timeout").

import { ByteQueue, parsePattern, receiveFrom, toBytes, type Encoding, checkEncoding } from "./patterns.js";
import { errorString, type ListenerLike, type Network, type StreamLike } from "./network.js";
import { Selectable } from "./select.js";
import * as check from "../common/check.js";
import type { Data, OkResult, ReceiveResult, SendResult } from "../common/types.js";

type Kind = "master" | "client" | "server";
type Family = 4 | 6 | 0;

const EMPTY = Buffer.alloc(0);

function ignore(): void {}

/** Default bound of unsent bytes per socket (bytes); `setoption("send-buffer-size", n)`. */
export const DEFAULT_SEND_BUFFER = 64 * 1024;
/** Default bound of unread bytes per socket (bytes); `setoption("recv-buffer-size", n)`. */
export const DEFAULT_RECV_BUFFER = 64 * 1024;

const enum Conn {
  Idle,
  Pending,
  /** Connected; the next connect() reports success. */
  Done,
  /** Connected and reported. */
  Reported,
  Failed,
}

function familyOf(f: string | undefined): string {
  return f === "IPv6" || f === "inet6" ? "inet6" : "inet";
}

/**
 * A LuaSocket TCP object: `tcp{master}`, `tcp{client}` or `tcp{server}`.
 * Made by `socket.tcp()`, `socket.bind()`, `socket.connect()` or `server.accept()`.
 */
export class TcpSocket extends Selectable {
  readonly _network: Network;
  #kind: Kind;
  #family: Family;
  #stream: StreamLike | null = null;
  #listener: ListenerLike | null = null;
  #backlog: StreamLike[] = [];
  #bind: { host: string; port: number } | null = null;
  #q = new ByteQueue();
  #eof = false;
  #err: string | null = null;
  #closed = false;
  #conn = Conn.Idle;
  #enc: Encoding = "latin1";
  #sendLimit = DEFAULT_SEND_BUFFER;
  #recvLimit = DEFAULT_RECV_BUFFER;
  #paused = false;
  #rx = 0;
  #tx = 0;
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
    s.on("data", (chunk: Buffer) => this.#onData(chunk));
    s.on("end", () => this.#onEnd());
    s.on("error", (e: Error) => this.#onError(e));
    s.on("close", () => this.#onClose());
    if (!start) s.on("connect", () => this.#onConnect());
    else s.resume();
  }

  #onData(chunk: Buffer): void {
    this.#q.push(chunk);
    this.#rx += chunk.length;
    if (!this.#paused && this.#q.length > this.#recvLimit) {
      this.#paused = true;
      this.#stream!.pause();
    }
    this._fireRead();
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

  _readable(): boolean {
    if (this.#closed || this.#err !== null || this.#eof) return true;
    if (this.#kind === "server") return this.#backlog.length > 0;
    return this.#q.ready;
  }

  _writable(): boolean {
    if (this.#closed || this.#err !== null) return true;
    if (this.#conn === Conn.Pending) return false;
    if (this.#conn === Conn.Done || this.#conn === Conn.Failed) return true;
    const s = this.#stream;
    return s === null || s.writableLength < this.#sendLimit;
  }

  // ---- master -> server ----------------------------------------------------------------

  /** Records the local address; the OS work happens in `listen` (or `connect`). */
  bind(host: string, port: number | string): OkResult {
    check.string("bind", "host", host);
    const p = check.port("bind", "port", port);
    if (this.#closed) return [null, "closed"];
    if (this.#kind !== "master") return [null, "already connected"];
    this.#bind = { host, port: p };
    return [1, null];
  }

  /** Starts listening on the bound address (default backlog 32, as LuaSocket). */
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
        this.#backlog.push(s);
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

  /** Takes one pending connection: `[client, null]`, or `[null, "timeout"]` when none waits. */
  accept(): [TcpSocket, null] | [null, string] {
    if (this.#closed) return [null, "closed"];
    if (this.#kind !== "server") return [null, "not listening"];
    const s = this.#backlog.shift();
    if (s === undefined) return [null, "timeout"];
    const c = new TcpSocket(this._network, this.#family, "client", s);
    c.#conn = Conn.Reported;
    c.#accepted = true;
    c.#recvLimit = this.#recvLimit;
    c.#sendLimit = this.#sendLimit;
    return [c, null];
  }

  // ---- master -> client ----------------------------------------------------------------

  /**
   * Non-blocking connect: the first call starts it and says "timeout"; once the socket is
   * writable, calling again gives `[1, null]` or the error ("connection refused", ...).
   */
  connect(host: string, port: number | string): OkResult {
    check.string("connect", "host", host);
    const p = check.port("connect", "port", port);
    if (this.#closed) return [null, "closed"];
    switch (this.#conn) {
      case Conn.Idle: {
        if (this.#kind !== "master") return [null, "already connected"];
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
   * closed; a number, that many bytes (the prefix's length included, as LuaSocket).
   * Gives `[data, null, null]` or `[null, err, partial]`, err "timeout" or "closed".
   */
  receive(pattern?: "*l" | "l" | "*a" | "a" | number, prefix?: Data | null): ReceiveResult<Data> {
    const pat = parsePattern("receive", pattern);
    if (prefix !== undefined && prefix !== null && typeof prefix !== "string" && !(prefix instanceof Uint8Array)) {
      check.fail("receive", "prefix", "a string, a Uint8Array, null or undefined", prefix);
    }
    if (this.#closed) return [null, "closed", null];
    if (this.#kind !== "client") {
      if (this.#kind === "master" && this.#conn === Conn.Pending) return [null, "timeout", prefix ?? null];
      return [null, "closed", null];
    }
    const closedErr = this.#err ?? (this.#eof ? "closed" : null);
    const r = receiveFrom(this.#q, pat, prefix, closedErr, this.#enc);
    if (this.#paused && this.#q.length <= this.#recvLimit) {
      this.#paused = false;
      this.#stream!.resume();
    }
    return r;
  }

  /**
   * Sends bytes `i..j` of `data` (1-based, inclusive, negative from the end; as LuaSocket).
   * Takes what fits in the send buffer: `[j, null, null]` when all of it did, else
   * `[null, "timeout", lastIndexTaken]`; `[null, "closed", i - 1]` on a closed connection.
   */
  send(data: Data, i?: number | null, j?: number | null): SendResult {
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      check.fail("send", "data", "a string or a Uint8Array", data);
    }
    check.optNumber("send", "i", i);
    check.optNumber("send", "j", j);
    const asString = typeof data === "string" && this.#enc !== "utf8";
    const bytes: string | Buffer = asString ? (data as string) : toBytes(data, this.#enc);
    const size = bytes.length;
    let start = Math.trunc(i ?? 1);
    let end = Math.trunc(j ?? -1);
    if (start < 0) start = size + start + 1;
    if (end < 0) end = size + end + 1;
    if (start < 1) start = 1;
    if (end > size) end = size;
    const s = this.#stream;
    if (this.#closed || this.#err !== null || s === null || s.destroyed) return [null, "closed", start - 1];
    // A failed write breaks the stream at once, its "error" event follows a tick later: until
    // then, sends would be taken and dropped (TLS to a peer that closed: a whole transfer).
    if (s.errored) return [null, (this.#err = errorString(s.errored)), start - 1];
    if (start > end) return [start - 1, null, null];
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
    if (s.writableLength + n >= this.#sendLimit) s.write(chunk, "latin1", (this.#flushed ??= () => this._fireWrite()));
    else s.write(chunk, "latin1");
    this.#tx += n;
    if (n === want) return [end, null, null];
    return [null, "timeout", start - 1 + n];
  }

  /** Closes the socket; unsent data is still flushed to the peer. Always `1`. */
  close(): 1 {
    if (this.#closed) return 1;
    this.#closed = true;
    const s = this.#stream;
    if (s !== null) {
      s.removeAllListeners("data");
      s.removeAllListeners("end");
      s.removeAllListeners("connect");
      s.removeAllListeners("close");
      if (s.writableLength === 0 && !this._flushOnClose) s.destroy();
      else {
        s.write(EMPTY, "latin1", () => s.destroy());
        s.end();
      }
    }
    if (this.#listener !== null) {
      this.#listener.close();
      this.#listener = null;
    }
    for (const b of this.#backlog) b.destroy();
    this.#backlog.length = 0;
    this.#q.clear();
    this._fireRead();
    this._fireWrite();
    return 1;
  }

  /** Half-closes: "send" (FIN after flushing), "receive", or "both" (default). Gives `1`. */
  shutdown(mode: "both" | "send" | "receive" = "both"): 1 {
    if (mode !== "both" && mode !== "send" && mode !== "receive") {
      check.fail("shutdown", "mode", '"both", "send" or "receive"', mode);
    }
    const s = this.#stream;
    if (s === null || this.#closed) return 1;
    if (mode !== "receive") s.end();
    if (mode !== "send") {
      this.#eof = true;
      this.#q.clear();
      this._fireRead();
    }
    return 1;
  }

  /** True when received bytes wait unread. */
  dirty(): boolean {
    return this.#q.length > 0;
  }

  /** `[bytesReceived, bytesSent, ageSeconds]`. */
  getstats(): [number, number, number] {
    return [this.#rx, this.#tx, this._network.clock.now() - this.#born];
  }

  /** Resets the statistics; gives `1`. */
  setstats(received?: number, sent?: number, age?: number): 1 {
    const rx = check.optNumber("setstats", "received", received);
    const tx = check.optNumber("setstats", "sent", sent);
    const ag = check.optNumber("setstats", "age", age);
    if (rx !== undefined) this.#rx = rx;
    if (tx !== undefined) this.#tx = tx;
    if (ag !== undefined) this.#born = this._network.clock.now() - ag;
    return 1;
  }

  /** `[ip, port, family]` of the local end, or `[null, err]`. */
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

  /** `[ip, port, family]` of the peer, or `[null, err]`. */
  getpeername(): [string, number, string] | [null, string] {
    if (this.#closed) return [null, "closed"];
    const s = this.#stream;
    if (this.#kind !== "client" || !s || s.remoteAddress === undefined) return [null, "not connected"];
    return [s.remoteAddress, s.remotePort ?? 0, familyOf(s.remoteFamily)];
  }

  /**
   * Options: "tcp-nodelay", "keepalive", "reuseaddr", "linger" (`{ on, timeout }`), and the
   * bounds of this port's buffers, "send-buffer-size" and "recv-buffer-size" (bytes).
   */
  setoption(name: string, value?: unknown): OkResult {
    check.string("setoption", "name", name);
    const s = this.#stream;
    switch (name) {
      case "tcp-nodelay":
        this.#options()[name] = !!value;
        s?.setNoDelay(!!value);
        return [1, null];
      case "keepalive":
        this.#options()[name] = !!value;
        s?.setKeepAlive(!!value);
        return [1, null];
      case "reuseaddr":
      case "reuseport":
        this.#options()[name] = !!value;
        return [1, null];
      case "linger":
        if (typeof value !== "object" || value === null) check.fail("setoption", "value", "a table { on, timeout }", value);
        this.#options()[name] = value;
        return [1, null];
      case "send-buffer-size":
        this.#sendLimit = Math.max(1, check.number("setoption", "value", value));
        return [1, null];
      case "recv-buffer-size":
        this.#recvLimit = Math.max(1, check.number("setoption", "value", value));
        if (this.#paused && this.#q.length <= this.#recvLimit) {
          this.#paused = false;
          s?.resume();
        }
        return [1, null];
      default:
        throw new TypeError(`setoption: bad argument 'name' (unsupported option '${name}')`);
    }
  }

  #options(): Record<string, unknown> {
    return (this.#opts ??= { "tcp-nodelay": false, keepalive: false, reuseaddr: true, linger: { on: false, timeout: 0 } });
  }

  /** `[value, null]` for an option `setoption` takes. */
  getoption(name: string): [unknown, null] | [null, string] {
    check.string("getoption", "name", name);
    if (name === "send-buffer-size") return [this.#sendLimit, null];
    if (name === "recv-buffer-size") return [this.#recvLimit, null];
    const opts = this.#options();
    if (name in opts) return [opts[name], null];
    throw new TypeError(`getoption: bad argument 'name' (unsupported option '${name}')`);
  }

  /** How received data is given: "latin1" (default, one char per byte), "utf8" or "buffer". */
  setencoding(enc: Encoding): 1 {
    this.#enc = checkEncoding(enc);
    return 1;
  }

  getencoding(): Encoding {
    return this.#enc;
  }

  /** `tcp{master}`, `tcp{client}`, `tcp{server}` (or `tcp{closed}` once closed). */
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

