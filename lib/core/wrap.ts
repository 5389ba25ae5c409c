// copas.wrap: a socket whose LuaSocket methods are copas ops. Code written for blocking
// LuaSocket (`skt:receive()`) ports as `yield* skt.receive()`.

import type { Dispatcher } from "./dispatcher.js";
import { kernelOf, TimeoutKind } from "./kernel.js";
import type { SocketState } from "./socket-state.js";
import * as check from "../common/check.js";
import type { Selectable } from "../socket/select.js";
import type { Data, Op, Pattern, ReceiveResult, SendResult } from "../common/types.js";

/** LuaSec-shaped TLS parameters, normalised: `{ wrap, sni }` (false when absent). */
export interface SslParams {
  /** LuaSec's wrap table (`mode`, `protocol`, `key`, `certificate`, `cafile`, `verify`, `options`), Node TLS options or a `tls.SecureContext`; `false`: no TLS. */
  wrap: unknown;
  /** SNI: `{ names, strict }` (a client: the name to ask for; a server: names to contexts), or `false`. */
  sni:
    | {
        /** The server name (a client) or a table of names to wrap tables (a server). */
        names: unknown;
        /** A server refuses names it does not know. */
        strict?: boolean;
      }
    | false;
}

/**
 * LuaSec's shapes, as Copas's normalize_sslt: `{ wrap, sni }`, a bare wrap table (LuaSec keys or
 * Node TLS options) or a `tls.SecureContext`. Unlike Copas (#210), an empty table is an error:
 * Copas took it for "no TLS" and went on in plain text.
 */
export function normalizeSsl(sslt: unknown, fn = "wrap"): SslParams {
  if (sslt === undefined || sslt === null) return { wrap: false, sni: false };
  if (typeof sslt !== "object") check.fail(fn, "sslparams", "a table of TLS parameters", sslt);
  const t = sslt as Record<string, unknown>;
  if (isContext(t)) return { wrap: t, sni: false };
  if (!check.isTable(t)) check.fail(fn, "sslparams", "a table of TLS parameters (a plain object) or a tls.SecureContext", sslt);
  if (t.mode !== undefined || t.protocol !== undefined) return { wrap: t, sni: false };
  if (t.wrap !== undefined || t.sni !== undefined) {
    const r: SslParams = { wrap: t.wrap || false, sni: (t.sni as SslParams["sni"]) || false };
    if (r.wrap || r.sni) return r;
  }
  if (Object.keys(t).length === 0 || t.wrap !== undefined || t.sni !== undefined) {
    throw new TypeError(
      `${fn}: bad argument 'sslparams' (expected TLS parameters: { wrap, sni }, a wrap table (mode, key, certificate, ...), ` +
        `Node TLS options or a tls.SecureContext; got an empty table, which would mean plain text)`,
    );
  }
  return { wrap: t, sni: false };
}

function isContext(t: object): boolean {
  return (t as { context?: unknown }).context !== undefined && t.constructor?.name === "SecureContext";
}

type Raw = Selectable & Record<string, (...a: unknown[]) => unknown>;

/**
 * A socket wrapped by `copas.wrap`: its methods are the copas ops with the socket bound.
 *
 * ```ts
 * const skt = copas.wrap(client);
 * const [line] = yield* skt.receive();
 * yield* skt.send(line + "\n");
 * ```
 */
export class CopasSocket {
  /** The dispatcher the ops run on. */
  readonly copas: Dispatcher;
  /** The LuaSocket object (replaced by the TLS one after a handshake). */
  socket: Selectable;
  /** TLS parameters given to `wrap`, normalised to `{ wrap, sni }`. */
  readonly ssl_params: SslParams;

  /** @internal use copas.wrap */
  constructor(copas: Dispatcher, socket: Selectable, sslparams: unknown) {
    this.ssl_params = normalizeSsl(sslparams);
    this.copas = copas;
    this.socket = socket;
  }

  #raw(): Raw {
    return this.socket as Raw;
  }

  get #datagram(): boolean {
    return (this.socket as { _datagram?: boolean })._datagram === true;
  }

  /**
   * Op: `copas.receive(skt, pattern, prefix)` on this socket; with a receive timeout of 0 it
   * receives partially, as Copas. UDP: `receive(size)`.
   *
   * @returns `[data, null, null]`, or `[null, err, partial]` (`"timeout"`, `"closed"`)
   * @lua `skt:receive([pattern [, prefix]])` on a socket from `copas.wrap(skt)`
   */
  receive(pattern?: Pattern | null, prefix?: Data | null): Op<ReceiveResult<string>> {
    const to = (this.socket._slot as SocketState | null)?.to;
    if (!this.#datagram && to != null && to[TimeoutKind.Receive] === 0) {
      return this.copas.receivepartial(this.socket, pattern, prefix);
    }
    return this.copas.receive(this.socket, pattern, prefix);
  }

  /**
   * Op: `copas.receivepartial(skt, pattern, prefix)` on this socket.
   *
   * @returns `[data, null, null]`, or `[null, err, partial]`
   * @lua `skt:receivepartial([pattern [, prefix]])` on a socket from `copas.wrap(skt)`
   */
  receivepartial(pattern?: Pattern | null, prefix?: Data | null): Op<ReceiveResult<string>> {
    return this.copas.receivepartial(this.socket, pattern, prefix);
  }

  /**
   * Op (UDP): `copas.receivefrom(skt, size)` on this socket.
   *
   * @returns `[data, ip, port]`, or `[null, err, null]`
   * @lua `skt:receivefrom([size])` on a socket from `copas.wrap(skt)`
   */
  receivefrom(size?: number | null): Op<[string, string, number] | [null, string, null]> {
    return this.copas.receivefrom(this.socket, size);
  }

  /**
   * Op: `copas.send(skt, data, i, j)` on this socket; a UDP socket sends at once.
   *
   * @returns `[lastIndex, null, null]`, or `[null, err, lastIndexSent]` (`"timeout"`, `"closed"`)
   * @lua `skt:send(data [, i [, j]])` on a socket from `copas.wrap(skt)`
   */
  send(data: Data, i?: number | null, j?: number | null): Op<SendResult> {
    if (this.#datagram) return sendNow(this.#raw().send!(data) as SendResult);
    return this.copas.send(this.socket, data, i, j);
  }

  /**
   * UDP: sends a datagram to `ip:port` (never waits).
   *
   * @returns `[bytes, null]`, or `[null, err]`
   * @lua `skt:sendto(data, ip, port)` on a socket from `copas.wrap(skt)`
   */
  sendto(data: Data, ip: string, port: number): unknown {
    return this.#raw().sendto!(data, ip, port);
  }

  /**
   * Op: connects to `host:port`, waiting up to the connect timeout; with TLS parameters given to
   * `wrap`, the handshake is included.
   *
   * @returns `[1, null]` (with TLS: `[thisSocket, null]`), or `[null, err]` (`"timeout"`, `"connection refused"`, ...)
   * @lua `skt:connect(host, port)` on a socket from `copas.wrap(skt)`
   */
  *connect(host: string, port: number): Op<[1 | CopasSocket, null] | [null, string]> {
    const r = yield* this.copas.connect(this.socket, host, port);
    if (r[0] === null) return r;
    if (this.ssl_params.sni) this.sni();
    if (this.ssl_params.wrap) return (yield* this.dohandshake());
    return r;
  }

  /**
   * Closes the socket; threads waiting on it see `"closed"`. A wrapped UDP socket stays open, as in
   * Copas (it is also the server).
   *
   * @returns `1`
   * @lua `skt:close()` on a socket from `copas.wrap(skt)`
   */
  close(): unknown {
    if (this.#datagram) return true;
    return this.copas.close(this.socket);
  }

  /**
   * Sets every copas timeout of this socket (seconds; `null` or negative: none).
   *
   * @returns `true`
   * @lua `skt:settimeout([timeout])` on a socket from `copas.wrap(skt)`
   */
  settimeout(t?: number | null): true {
    return this.copas.settimeout(this.socket, t);
  }

  /**
   * Sets the connect, send and receive timeouts separately (`null`: unchanged; negative: none).
   *
   * @returns `true`
   * @lua `skt:settimeouts([connect], [send], [receive])` on a socket from `copas.wrap(skt)`
   */
  settimeouts(connect?: number | null, send?: number | null, receive?: number | null): true {
    return this.copas.settimeouts(this.socket, connect, send, receive);
  }

  /**
   * The peer's address.
   *
   * @returns `[ip, port, family]`, or `[null, err]` (`"closed"`, `"not connected"`)
   * @lua `skt:getpeername()` on a socket from `copas.wrap(skt)`
   */
  getpeername(): [string, number, string] | [null, string] {
    return this.#raw().getpeername!() as [string, number, string] | [null, string];
  }

  /**
   * The local address.
   *
   * @returns `[ip, port, family]`, or `[null, err]`
   * @lua `skt:getsockname()` on a socket from `copas.wrap(skt)`
   */
  getsockname(): [string, number, string] | [null, string] {
    return this.#raw().getsockname!() as [string, number, string] | [null, string];
  }

  /**
   * UDP: connects the socket to a peer (a Promise, as `UdpSocket.setpeername`).
   *
   * @returns a Promise of `[1, null]` or `[null, err]`
   * @lua `skt:setpeername(host, port)` on a socket from `copas.wrap(skt)`
   */
  setpeername(...args: unknown[]): unknown {
    return this.#raw().setpeername!(...args);
  }

  /**
   * UDP: binds the socket (a Promise, as `UdpSocket.setsockname`).
   *
   * @returns a Promise of `[1, null]` or `[null, err]`
   * @lua `skt:setsockname(host, port)` on a socket from `copas.wrap(skt)`
   */
  setsockname(...args: unknown[]): unknown {
    return this.#raw().setsockname!(...args);
  }

  /**
   * Sets a socket option (`"tcp-nodelay"`, `"keepalive"`, `"reuseaddr"`, `"linger"`,
   * `"send-buffer-size"`, `"recv-buffer-size"`, ...).
   *
   * @returns `[1, null]`, or `[null, err]`
   * @lua `skt:setoption(name [, value])` on a socket from `copas.wrap(skt)`
   */
  setoption(name: string, value?: unknown): unknown {
    return this.#raw().setoption!(name, value);
  }

  /**
   * A socket option's value.
   *
   * @returns `[value, null]`, or `[null, err]`
   * @lua `skt:getoption(name)` on a socket from `copas.wrap(skt)`
   */
  getoption(name: string): unknown {
    return this.#raw().getoption!(name);
  }

  /**
   * `[bytesReceived, bytesSent, ageSeconds]` (UDP adds the datagrams dropped).
   *
   * @lua `skt:getstats()` on a socket from `copas.wrap(skt)`
   */
  getstats(): number[] {
    return this.#raw().getstats!() as number[];
  }

  /**
   * Resets the statistics (`received`, `sent`, `age`).
   *
   * @returns `1`
   * @lua `skt:setstats(received, sent, age)` on a socket from `copas.wrap(skt)`
   */
  setstats(...args: unknown[]): unknown {
    return this.#raw().setstats!(...args);
  }

  /**
   * TCP: shuts down `"both"` (default), `"send"` or `"receive"`.
   *
   * @returns `1`
   * @lua `skt:shutdown([mode])` on a socket from `copas.wrap(skt)`
   */
  shutdown(mode?: string): unknown {
    return this.#raw().shutdown!(mode);
  }

  /**
   * True when received data is buffered (a receive would not wait).
   *
   * @lua `skt:dirty()` on a socket from `copas.wrap(skt)`
   */
  dirty(): boolean {
    return this.#raw().dirty!() as boolean;
  }

  /**
   * A master socket: records the address to listen on (see `TcpSocket.bind`).
   *
   * @returns `[1, null]`, or `[null, err]`
   * @lua `skt:bind(address, port)` on a socket from `copas.wrap(skt)`
   */
  bind(host: string, port: number): unknown {
    return this.#raw().bind!(host, port);
  }

  /**
   * A master socket: listens (a Promise, see `TcpSocket.listen`).
   *
   * @returns a Promise of `[1, null]` or `[null, err]` (`"address already in use"`, ...)
   * @lua `skt:listen([backlog])` on a socket from `copas.wrap(skt)`
   */
  listen(backlog?: number): unknown {
    return this.#raw().listen!(backlog);
  }

  /**
   * A server socket: takes one pending client without waiting (see `TcpSocket.accept`).
   *
   * @returns `[client, null]`, or `[null, "timeout"]` when none is pending
   * @lua `skt:accept()` on a socket from `copas.wrap(skt)`
   */
  accept(): unknown {
    return this.#raw().accept!();
  }

  /**
   * How strings are sent and received: `"latin1"` (default, one char per byte), `"utf8"`, or
   * `"buffer"` (receive `Buffer`s).
   *
   * @returns `1`
   * @throws TypeError for any other encoding
   * @lua (none: Lua strings are bytes; a copas addition)
   */
  setencoding(enc: string): unknown {
    return this.#raw().setencoding!(enc);
  }

  /**
   * Deprecated; does nothing.
   *
   * @lua `skt:flush()` on a socket from `copas.wrap(skt)`
   */
  flush(): void {}

  /**
   * TLS: before the handshake, sets the server name to ask for (a client) or the table of names to
   * certificates (a server; `strict`: refuse other names).
   *
   * @returns `true`
   * @lua `skt:sni(names [, strict])` on a socket from `copas.wrap(skt)` (LuaSec)
   */
  sni(names?: unknown, strict?: boolean): unknown {
    if (names === undefined || names === null) {
      const p = this.ssl_params.sni;
      if (p) {
        names = p.names;
        strict = p.strict;
      }
    }
    if (typeof names !== "string" && (typeof names !== "object" || names === null)) {
      check.fail("sni", "names", "a server name (client) or a table of names to contexts or parameters (server)", names);
    }
    return kernelOf(this.copas).tls("sni").sni(this.socket, names, !!strict);
  }

  /**
   * Op: the TLS handshake (`sslparams`, else those given to `wrap`); this socket then speaks TLS.
   *
   * @returns `[this, null]`, or `[null, "timeout"]`
   * @throws {@link TlsHandshakeError} `"TLS/SSL handshake failed: <reason>"` on any other failure
   * @lua `skt:dohandshake([sslparams])` on a socket from `copas.wrap(skt)`
   */
  dohandshake(sslparams?: unknown): Op<[CopasSocket, null] | [null, string]> {
    return handshake(this, sslparams ?? this.ssl_params.wrap, undefined);
  }

  /**
   * TLS: the ALPN protocol agreed on.
   *
   * @returns `[protocol or null, null]`, or `[null, "not a tls socket"]`
   * @lua `skt:getalpn()` on a socket from `copas.wrap(skt)` (LuaSec)
   */
  getalpn(): [string | null, null] | [null, string] {
    const f = (this.socket as { getalpn?: () => [string | null, null] }).getalpn;
    return typeof f === "function" ? f.call(this.socket) : [null, "not a tls socket"];
  }

  /**
   * TLS server: the name the client asked for.
   *
   * @returns `[name or null, null]`, or `[null, "not a tls socket"]`
   * @lua `skt:getsniname()` on a socket from `copas.wrap(skt)` (LuaSec)
   */
  getsniname(): [string | null, null] | [null, string] {
    const f = (this.socket as { getsniname?: () => [string | null, null] }).getsniname;
    return typeof f === "function" ? f.call(this.socket) : [null, "not a tls socket"];
  }

  /**
   * @internal server side of `copas.handler`: SNI and handshake when TLS parameters were given.
   * False when the handshake timed out: the protected handler must not run (Copas #189).
   */
  *_serverHandshake(): Op<boolean> {
    if (this.ssl_params.sni) this.sni(this.ssl_params.sni.names, this.ssl_params.sni.strict);
    if (!this.ssl_params.wrap) return true;
    const [ok] = yield* handshake(this, this.ssl_params.wrap, true);
    return ok !== null;
  }

  /**
   * The wrapped socket's `toString()` (`tcp{client}`, ...).
   *
   * @lua `skt:__tostring` on a socket from `copas.wrap(skt)`
   */
  toString(): string {
    return `${String(this.socket)} (copas wrapped)`;
  }
}

/** A wrapped socket's handshake: its socket becomes the TLS one; `[w, null]` or `[null, err]`. */
function* handshake(w: CopasSocket, params: unknown, server: boolean | undefined): Op<[CopasSocket, null] | [null, string]> {
  const k = kernelOf(w.copas);
  const r = yield* k.tls("dohandshake").dohandshake(k, w.socket, params, server);
  if (r[0] === null) return r;
  w.socket = r[0];
  return [w, null];
}

function* sendNow(r: SendResult): Op<SendResult> {
  return r;
}

/** The LuaSocket object inside a wrapped socket. */
export function unwrap(w: CopasSocket): Selectable {
  return w.socket;
}
