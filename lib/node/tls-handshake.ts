// One TLS handshake in progress, as a Selectable the handshaking thread waits on: it becomes
// ready (both ways) exactly once, when the handshake succeeded (`result`) or failed (`error`).
// The plain socket's stream, and the bytes it had read but not received, move to a
// tls.TLSSocket at once; on success that TLS stream is handed to a new TlsSocket in the same
// event callback, so no event of the connection is ever missed.

import net from "node:net";
import tls from "node:tls";
import type { Network } from "../socket/network.js";
import { Selectable } from "../socket/select.js";
import type { TcpSocket } from "../socket/tcp.js";
import type { TlsConfig } from "./tls-params.js";
import { sniContexts } from "./tls-params.js";
import { TlsSocket } from "./tls-socket.js";

/** SNI settings given by `sni(names, strict)`: a name (client) or names to contexts (server). */
export interface Sni {
  names: unknown;
  strict: boolean;
}

/** @internal a handshake the dispatcher can wait on (see lib/tls.ts). */
export class TlsHandshake extends Selectable {
  readonly _network: Network;
  /** The connection, once the handshake succeeded. */
  result: TlsSocket | null = null;
  /** Why it failed (Node's reason), once it did. */
  error: string | null = null;
  #sock: tls.TLSSocket | null = null;
  #done = false;
  #cfg: TlsConfig;
  #server: boolean;

  constructor(plain: TcpSocket, cfg: TlsConfig, server: boolean, sni: Sni | null) {
    super();
    this._network = plain._network;
    this.#cfg = cfg;
    this.#server = server;
    const taken = plain._takeStream();
    if (taken === null) {
      this.#fail("closed");
      return;
    }
    const stream = taken.stream as net.Socket;
    // Bytes the plain socket read ahead (a ClientHello, say) go back to the stream; the TLS
    // layer reads what the stream holds when it starts.
    if (taken.pending.length > 0) {
      if (typeof stream.unshift !== "function") {
        taken.stream.destroy();
        this.#fail("cannot start TLS on a stream that already delivered data");
        return;
      }
      stream.unshift(taken.pending);
    }
    const sock = server ? this.#serverSocket(stream, sni) : this.#clientSocket(stream, sni);
    this.#sock = sock;
    sock.on("error", this.#onError);
    sock.on("close", this.#onClose);
    sock.on("end", this.#onClose);
    sock.once(server ? "secure" : "secureConnect", this.#onSecure);
  }

  get done(): boolean {
    return this.#done;
  }

  #serverSocket(stream: net.Socket, sni: Sni | null): tls.TLSSocket {
    const cfg = this.#cfg;
    const opts: tls.TLSSocketOptions = {
      isServer: true,
      secureContext: cfg.context,
      requestCert: cfg.verifyPeer,
      rejectUnauthorized: cfg.requirePeerCert,
    };
    if (cfg.alpn) opts.ALPNProtocols = cfg.alpn;
    if (sni !== null && typeof sni.names === "object" && sni.names !== null) {
      const names = sniContexts(sni.names);
      const strict = sni.strict;
      opts.SNICallback = (name, cb) => {
        const ctx = names.get(name);
        if (ctx !== undefined || !strict) cb(null, ctx);
        else cb(new Error(`unknown server name '${name}'`));
      };
    }
    return new tls.TLSSocket(stream, opts);
  }

  #clientSocket(stream: net.Socket, sni: Sni | null): tls.TLSSocket {
    const cfg = this.#cfg;
    const x = cfg.extra;
    const host = typeof x.host === "string" ? x.host : (stream as { _host?: unknown })._host;
    let servername = typeof sni?.names === "string" ? sni.names : typeof x.servername === "string" ? x.servername : undefined;
    if (servername === undefined && typeof host === "string" && net.isIP(host) === 0) servername = host;
    const opts: tls.ConnectionOptions = {
      ...(x as tls.ConnectionOptions),
      socket: stream,
      secureContext: cfg.context,
      rejectUnauthorized: cfg.verifyPeer,
      checkServerIdentity: cfg.verifyPeer ? ((x.checkServerIdentity as tls.ConnectionOptions["checkServerIdentity"]) ?? tls.checkServerIdentity) : () => undefined,
    };
    if (typeof host === "string") opts.host = host;
    if (servername !== undefined && servername !== "") opts.servername = servername;
    else delete opts.servername;
    if (cfg.alpn) opts.ALPNProtocols = cfg.alpn;
    return tls.connect(opts);
  }

  #onSecure = (): void => {
    if (this.#done) return;
    const sock = this.#sock!;
    if (this.#server && this.#cfg.verifyPeer) {
      // node:tls checks a client certificate only for sockets of a tls.Server; a socket made
      // on its own asks OpenSSL's verdict the way tls.Server does (the handle's verifyError).
      const cert = sock.getPeerCertificate();
      const has = cert !== null && Object.keys(cert).length > 0;
      if (!has && this.#cfg.requirePeerCert) return this.#fail("peer did not return a certificate");
      if (has) {
        const h = (sock as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })._handle;
        const err = h?.verifyError ? h.verifyError() : new Error("cannot verify the peer certificate");
        if (err) {
          sock.authorizationError = err;
          return this.#fail(`certificate verify failed: ${err.message}`);
        }
        sock.authorized = true;
      }
    }
    this.#release(sock);
    const family = sock.remoteFamily === "IPv6" ? 6 : 4;
    this.result = new TlsSocket(this._network, family, sock);
    this.#finish();
  };

  #onError = (e: Error): void => {
    this.#fail(e.message || String(e));
  };

  #onClose = (): void => {
    this.#fail("closed");
  };

  #release(sock: tls.TLSSocket): void {
    sock.off("error", this.#onError);
    sock.off("close", this.#onClose);
    sock.off("end", this.#onClose);
    sock.off("secure", this.#onSecure);
    sock.off("secureConnect", this.#onSecure);
  }

  #fail(reason: string): void {
    if (this.#done) return;
    this.error = reason;
    const sock = this.#sock;
    if (sock !== null) {
      this.#release(sock);
      sock.on("error", () => {}); // late errors of a dead connection must not crash the process
      sock.destroy();
    }
    this.#finish();
  }

  #finish(): void {
    this.#done = true;
    this.#sock = null;
    this._fireRead();
    this._fireWrite();
  }

  _readable(): boolean {
    return this.#done;
  }

  _writable(): boolean {
    return this.#done;
  }

  /** Abandons the handshake (timeout, removed thread, cancelall); the connection is dropped. */
  close(): 1 {
    this.#fail("closed");
    return 1;
  }

  override toString(): string {
    return "tls{handshake}";
  }
}
