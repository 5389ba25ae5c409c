// A LuaSec TLS connection: a TcpSocket whose stream is a TLS stream (a TlsStreamLike on either
// network), so send, receive (every pattern), close, timeouts and backpressure are exactly TCP's.
// Made by a completed handshake (tls-handshake.ts); it adds LuaSec's TLS queries.

import type { PeerCertificate } from "node:tls";
import type { Network, TlsStreamLike } from "./network.js";
import { TcpSocket } from "./tcp.js";

/**
 * A TLS connection (`copas.dohandshake`'s result): a TcpSocket plus LuaSec's queries.
 *
 * ```ts
 * const [tlsSkt] = yield* copas.dohandshake(skt, { mode: "client", cafile: "root.pem" });
 * yield* copas.send(tlsSkt!, "hello\n");
 * ```
 */
export class TlsSocket extends TcpSocket {
  readonly #tls: TlsStreamLike;

  /** @internal made by the handshake op, over an established TLS stream. */
  constructor(network: Network, family: 4 | 6, stream: TlsStreamLike) {
    super(network, family, "client", stream);
    this.#tls = stream;
    // OpenSSL may still hold handshake output (a client's Finished): close flushes it first.
    this._flushOnClose = true;
  }

  /**
   * The ALPN protocol agreed on: `[proto, null]`, `[null, null]` when none.
   *
   * @lua `conn:getalpn()` (LuaSec)
   */
  getalpn(): [string | null, null] {
    const p = this.#tls.alpnProtocol;
    return [typeof p === "string" ? p : null, null];
  }

  /**
   * Server side: the name the client asked for (SNI): `[name, null]`, or `[null, null]`.
   *
   * @lua `conn:getsniname()` (LuaSec)
   */
  getsniname(): [string | null, null] {
    const n = this.#tls.servername;
    return [typeof n === "string" && n !== "" ? n : null, null];
  }

  /**
   * The peer's certificate as node:tls describes it, or null when it sent none.
   *
   * @lua `conn:getpeercertificate()` (LuaSec), which gives a certificate object
   */
  getpeercertificate(): PeerCertificate | null {
    const c = this.#tls.getPeerCertificate();
    return c && Object.keys(c).length > 0 ? c : null;
  }

  /**
   * `[true, null]` when the peer's certificate verified, else `[false, reason]` (LuaSec's form).
   *
   * @lua `conn:getpeerverification()` (LuaSec)
   */
  getpeerverification(): [boolean, string | null] {
    return this.#tls.authorized ? [true, null] : [false, String(this.#tls.authorizationError ?? "no certificate")];
  }

  /**
   * The negotiated protocol and cipher: `{ protocol, cipher, bits }`.
   *
   * @lua `conn:info()` (LuaSec), which gives `{ protocol, cipher, bits, ... }`
   */
  info(): {
    /** The TLS version, as `"TLSv1.3"`. */
    protocol: string | null;
    /** The cipher suite's name. */
    cipher: string;
    /** The cipher's secret key bits, when known. */
    bits: number | undefined;
  } {
    const c = this.#tls.getCipher();
    return { protocol: this.#tls.getProtocol(), cipher: c.name, bits: c.bits };
  }

  /**
   * Already handshaken: `[true, null]`, as LuaSec's `conn:dohandshake()` on an open connection.
   *
   * @lua `conn:dohandshake()` (LuaSec)
   */
  dohandshake(): [true, null] {
    return [true, null];
  }

  /**
   * `tls{client}` (or `tls{closed}` once closed).
   *
   * @lua `tostring(conn)` (LuaSec)
   */
  override toString(): string {
    return super.toString().replace(/^tcp/, "tls");
  }
}
