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
  wrap: unknown;
  sni: { names: unknown; strict?: boolean } | false;
}

/**
 * LuaSec's shapes, as Copas's normalize_sslt: `{ wrap, sni }`, a bare wrap table (LuaSec keys or
 * Node TLS options) or a `tls.SecureContext`. Unlike Copas (#210), an empty table is an error:
 * Copas took it for "no TLS" and went on in plain text.
 */
export function normalizeSsl(sslt: unknown, fn = "wrap"): SslParams {
  if (sslt === undefined || sslt === null) return { wrap: false, sni: false };
  if (typeof sslt !== "object") {
    throw new TypeError(`${fn}: bad argument 'sslparams' (expected a table of TLS parameters, got a ${typeof sslt}) [Copas: ssl parameters; did not expect type ${String(sslt)}]`);
  }
  const t = sslt as Record<string, unknown>;
  if (isContext(t) || t.mode !== undefined || t.protocol !== undefined) return { wrap: t, sni: false };
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

  /** Op: as copas.receive (receive timeout 0: receives partially, as Copas). UDP: `receive(size)`. */
  receive(pattern?: Pattern | null, prefix?: Data | null): Op<ReceiveResult<string>> {
    const to = (this.socket._slot as SocketState | null)?.to;
    if (!this.#datagram && to != null && to[TimeoutKind.Receive] === 0) {
      return this.copas.receivepartial(this.socket, pattern, prefix);
    }
    return this.copas.receive(this.socket, pattern, prefix);
  }

  /** Op: as copas.receivepartial. */
  receivepartial(pattern?: Pattern | null, prefix?: Data | null): Op<ReceiveResult<string>> {
    return this.copas.receivepartial(this.socket, pattern, prefix);
  }

  /** Op (UDP): `[data, ip, port]`. */
  receivefrom(size?: number | null): Op<[string, string, number] | [null, string, null]> {
    return this.copas.receivefrom(this.socket, size);
  }

  /** Op: as copas.send. UDP sockets send at once. */
  send(data: Data, i?: number | null, j?: number | null): Op<SendResult> {
    if (this.#datagram) return sendNow(this.#raw().send!(data) as SendResult);
    return this.copas.send(this.socket, data, i, j);
  }

  /** UDP: sends a datagram to `ip:port` (never waits). */
  sendto(data: Data, ip: string, port: number): unknown {
    return this.#raw().sendto!(data, ip, port);
  }

  /**
   * Op: connects, waiting until done; with TLS parameters the handshake is included and the
   * result is `[thisSocket, null]`.
   */
  *connect(host: string, port: number): Op<[1 | CopasSocket, null] | [null, string]> {
    const r = yield* this.copas.connect(this.socket, host, port);
    if (r[0] === null) return r;
    if (this.ssl_params.sni) this.sni();
    if (this.ssl_params.wrap) return (yield* this.dohandshake()) as [CopasSocket, null] | [null, string];
    return r;
  }

  /** Closes the socket (a wrapped UDP socket stays open, as Copas: it is also the server). */
  close(): unknown {
    if (this.#datagram) return true;
    return this.copas.close(this.socket);
  }

  settimeout(t?: number | null): true {
    return this.copas.settimeout(this.socket, t);
  }

  settimeouts(connect?: number | null, send?: number | null, receive?: number | null): true {
    return this.copas.settimeouts(this.socket, connect, send, receive);
  }

  /** `[ip, port, family]` of the peer, or `[null, err]`. */
  getpeername(): [string, number, string] | [null, string] {
    return this.#raw().getpeername!() as [string, number, string] | [null, string];
  }

  /** `[ip, port, family]` of the local end, or `[null, err]`. */
  getsockname(): [string, number, string] | [null, string] {
    return this.#raw().getsockname!() as [string, number, string] | [null, string];
  }

  setpeername(...args: unknown[]): unknown {
    return this.#raw().setpeername!(...args);
  }

  setsockname(...args: unknown[]): unknown {
    return this.#raw().setsockname!(...args);
  }

  setoption(name: string, value?: unknown): unknown {
    return this.#raw().setoption!(name, value);
  }

  getoption(name: string): unknown {
    return this.#raw().getoption!(name);
  }

  /** `[bytesReceived, bytesSent, ageSeconds]` (UDP adds datagrams dropped). */
  getstats(): number[] {
    return this.#raw().getstats!() as number[];
  }

  setstats(...args: unknown[]): unknown {
    return this.#raw().setstats!(...args);
  }

  shutdown(mode?: string): unknown {
    return this.#raw().shutdown!(mode);
  }

  dirty(): boolean {
    return this.#raw().dirty!() as boolean;
  }

  bind(host: string, port: number): unknown {
    return this.#raw().bind!(host, port);
  }

  listen(backlog?: number): unknown {
    return this.#raw().listen!(backlog);
  }

  accept(): unknown {
    return this.#raw().accept!();
  }

  setencoding(enc: string): unknown {
    return this.#raw().setencoding!(enc);
  }

  /** Deprecated; does nothing. */
  flush(): void {}

  /** TLS: sets the server name (client) or the name table (server) before the handshake. */
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

  /** Op: TLS handshake: `[this, null]`, `[null, "timeout"]`; other failures throw. */
  dohandshake(sslparams?: unknown): Op<[CopasSocket, null] | [null, string]> {
    return handshake(this, sslparams ?? this.ssl_params.wrap, undefined);
  }

  /** TLS: the ALPN protocol agreed on: `[proto, null]`, or `[null, "not a tls socket"]`. */
  getalpn(): [string | null, null] | [null, string] {
    const f = (this.socket as { getalpn?: () => [string | null, null] }).getalpn;
    return typeof f === "function" ? f.call(this.socket) : [null, "not a tls socket"];
  }

  /** TLS server: the name the client asked for: `[name, null]`, or `[null, "not a tls socket"]`. */
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
