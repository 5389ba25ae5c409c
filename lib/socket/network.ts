// The seam between the LuaSocket layer and what carries the bytes. The real network is Node's
// `net`; `copas/sim` provides an in-memory one with the same shape, so the socket classes, the
// receive patterns and the dispatcher are the same code in both.

import type { PeerCertificate } from "node:tls";
import type { Clock } from "../common/clock.js";

/** The part of `net.Socket` a TCP object uses. Events: connect, data, end, drain, error, close. */
export interface StreamLike {
  on(event: "data", fn: (chunk: Buffer) => void): unknown;
  on(event: "error", fn: (err: Error & { code?: string }) => void): unknown;
  on(event: "connect" | "end" | "drain" | "close", fn: () => void): unknown;
  removeAllListeners(event?: string): unknown;
  write(data: string | Uint8Array, encoding: BufferEncoding, cb?: (err?: Error | null) => void): boolean;
  readonly writableLength: number;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
  destroy(): unknown;
  /** Closes with a reset (SO_LINGER 0), dropping unsent data; without it, `destroy` is used. */
  resetAndDestroy?(): unknown;
  setNoDelay(noDelay?: boolean): unknown;
  setKeepAlive(enable?: boolean, initialDelay?: number): unknown;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly remoteFamily?: string | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  readonly destroyed: boolean;
  /**
   * The error that broke the stream, once known, even before its "error" event (Node sets it
   * when a write fails, and emits the event a tick later). Optional: null or absent while fine.
   */
  readonly errored?: Error | null;
}

/** A listening socket. */
export interface ListenerLike {
  address(): { address: string; port: number; family: string } | string | null;
  close(): unknown;
}

export interface ConnectOptions {
  host: string;
  port: number;
  family: 4 | 6 | 0;
  localAddress?: string | undefined;
  localPort?: number | undefined;
}

export interface ListenOptions {
  host: string;
  port: number;
  backlog: number;
  family: 4 | 6 | 0;
  /** Called with each new connection, not yet reading (it starts when accepted). */
  onConnection(this: void, s: StreamLike): void;
}

/** The part of `dgram.Socket` a UDP object uses. Events: message, error, close. */
export interface DatagramLike {
  on(event: "message", fn: (msg: Buffer, rinfo: { address: string; port: number; family: string }) => void): unknown;
  on(event: "error", fn: (err: Error & { code?: string }) => void): unknown;
  on(event: "close" | "listening", fn: () => void): unknown;
  bind(port: number, address: string | undefined, cb: () => void): unknown;
  connect(port: number, address: string, cb: (err?: Error) => void): unknown;
  disconnect(): unknown;
  send(msg: Uint8Array, cb: (err: Error | null) => void): unknown;
  send(msg: Uint8Array, port: number, address: string, cb: (err: Error | null) => void): unknown;
  close(): unknown;
  address(): { address: string; port: number; family: string };
  remoteAddress(): { address: string; port: number; family: string };
  setBroadcast(flag: boolean): unknown;
  setMulticastTTL(ttl: number): unknown;
  setMulticastLoopback(flag: boolean): unknown;
  addMembership(group: string, iface?: string): unknown;
  dropMembership(group: string, iface?: string): unknown;
}

/** Told of each read: `n` bytes at the start of `buf`, a buffer the stream reuses afterwards. */
export type ReadCallback = (n: number, buf: Buffer) => void;

/** SNI set by `skt:sni(names, strict)`: a server name (client), or names to parameters (server). */
export interface Sni {
  names: unknown;
  strict: boolean;
}

/** What `Network.secure` is told besides the TLS parameters. */
export interface SecureOptions {
  /** The side this end plays when the parameters do not say (LuaSec's `mode`): true for server. */
  server: boolean;
  /** SNI given by `skt:sni()` (or the `sni` of `{ wrap, sni }`), else null. */
  sni: Sni | null;
  /** Client: the host name the socket was connected to (SNI, certificate check), else null. */
  host: string | null;
}

/**
 * A secured connection's stream: plain text in and out (the StreamLike a TCP object uses), and
 * what the handshake agreed on. `tls.TLSSocket` is one.
 */
export interface TlsStreamLike extends StreamLike {
  readonly alpnProtocol?: string | false | null;
  /** Server side: the name the client asked for (SNI). */
  readonly servername?: string | false | null;
  /** True when the peer's certificate was verified. */
  readonly authorized: boolean;
  readonly authorizationError?: Error | string | null;
  /** The peer's certificate; an empty object or null when it sent none. */
  getPeerCertificate(): PeerCertificate | null;
  getProtocol(): string | null;
  getCipher(): { name: string; bits?: number };
}

/** How a handshake ended: `(null, stream)`, or `(reason, null, code)` (code: the engine's, if any). */
export type SecureDone = (err: string | null, tls: TlsStreamLike | null, code?: string) => void;

/** One TLS handshake a network prepared, its parameters already checked. */
export interface SecureHandshake {
  /**
   * Starts it over `stream`, a connection's plain stream (paused, no listener left on it);
   * `pending`: bytes already read from it and not consumed (a ClientHello, say), read first.
   * Calls `done` exactly once unless aborted, possibly before returning. On success the TLS
   * stream is handed over in that call, so a listener attached then misses no event.
   */
  start(stream: StreamLike, pending: Buffer, done: SecureDone): void;
  /** Abandons it (a timeout, a removed thread): the connection is dropped, `done` not called. */
  abort(): void;
}

/** What a LuaSocket layer runs on. */
export interface Network {
  /** Name used in messages: "real" or "sim". */
  readonly kind: string;
  readonly clock: Clock;
  /**
   * Optional: makes `s` deliver what it reads by calling `fn` with a read buffer reused for
   * every read (valid only during the call), instead of a new Buffer per 'data' event. Called
   * before the stream starts reading. False when `s` cannot (then 'data' events come as usual).
   */
  readInto?(s: StreamLike, fn: ReadCallback): boolean;
  /** Starts a connection; the stream emits "connect" or "error". */
  connect(o: ConnectOptions): StreamLike;
  listen(o: ListenOptions): Promise<[ListenerLike, null] | [null, string]>;
  /** Makes an unbound datagram socket (optional: a network without UDP leaves it out). */
  datagram?(o: { type: "udp4" | "udp6"; reuseAddr: boolean; ipv6Only: boolean }): DatagramLike;
  /**
   * Optional: TLS (`copas.dohandshake`, wrapped sockets with sslparams). Checks `params`
   * (LuaSec's wrap table, or whatever else this network's TLS engine takes), throwing on bad
   * ones before any connection is touched, and prepares a handshake. A network that loads its
   * TLS engine on first use may give a Promise of the handshake instead. Without `secure`,
   * handshakes fail with an error naming the network.
   */
  secure?(params: unknown, o: SecureOptions): SecureHandshake | PromiseLike<SecureHandshake>;
}

/** "the real network", "the simulated network", or "the network 'kind'": for messages. */
export function networkName(n: Network): string {
  return n.kind === "real" ? "the real network" : n.kind === "sim" ? "the simulated network" : `the network '${n.kind}'`;
}

const BAD_HOST = /[\x00-\x20\x7f]/;

/**
 * True for a host no name or address can be: one with a control character or a space. Such a
 * host fails at once with "host not found" (LuaSocket resolves synchronously), rather than
 * after a trip through Node's resolver.
 */
export function badHost(host: string): boolean {
  return BAD_HOST.test(host);
}

/** Maps a Node error to LuaSocket's string for it. */
export function errorString(e: unknown): string {
  const err = e as { code?: string; message?: string };
  switch (err?.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "EADDRINUSE":
      return "address already in use";
    case "ECONNRESET":
    case "ECONNABORTED":
    case "EPIPE":
    case "ERR_STREAM_DESTROYED":
    case "ERR_STREAM_WRITE_AFTER_END":
      return "closed";
    case "ETIMEDOUT":
      return "timeout";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EADDRNOTAVAIL":
      return "address not available";
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return "host not found";
    case "EHOSTUNREACH":
      return "host is unreachable";
    case "ENETUNREACH":
      return "network is unreachable";
    case "EISCONN":
    case "ERR_SOCKET_DGRAM_IS_CONNECTED":
      return "already connected";
    case "EMSGSIZE":
      return "message too long";
    default:
      return String(err?.message ?? e).toLowerCase();
  }
}
