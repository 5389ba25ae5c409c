// The TLS engine of both networks: node:tls, configured from LuaSec's parameters (tls-params.ts),
// behind `Network.secure` (lib/socket/network.ts). A net.Socket is secured natively (OpenSSL
// reads the descriptor); any other StreamLike (the simulated network's connections) through a
// Duplex (duplex.ts), with a clock told while the engine works on Node's event-loop turns.

import net from "node:net";
import tls from "node:tls";
import type { SecureDone, SecureHandshake, SecureOptions, Sni, StreamLike } from "../socket/network.js";
import { Activity, StreamDuplex, type Busy } from "./duplex.js";
import { sniContexts, tlsConfig, type TlsConfig } from "./tls-params.js";

const ADDRESS_KEYS = ["remoteAddress", "remotePort", "remoteFamily", "localAddress", "localPort"] as const;
/** TLSSocket methods the TCP object calls: each is a call into the engine. */
const TRACKED = ["write", "end", "destroy", "pause", "resume"] as const;

function ignore(): void {}

/**
 * `Network.secure` over node:tls: checks `params` now (TypeError for a bad key, Error for an
 * unreadable file) and gives the handshake to start. `busy`: a virtual clock to hold while the
 * engine has work in flight (see duplex.ts); null on the real clock.
 */
export function secureWithNodeTls(params: unknown, o: SecureOptions, busy: Busy | null = null): SecureHandshake {
  const cfg = tlsConfig(params);
  const server = cfg.isServer ?? o.server;
  // SNI contexts are made (and their parameters checked) before any connection is touched too.
  const names = server && o.sni !== null && typeof o.sni.names === "object" && o.sni.names !== null ? sniContexts(o.sni.names) : null;
  return new NodeTlsHandshake(cfg, server, o, names, busy);
}

class NodeTlsHandshake implements SecureHandshake {
  #cfg: TlsConfig;
  #server: boolean;
  #o: SecureOptions;
  #names: Map<string, tls.SecureContext> | null;
  #busy: Busy | null;
  #sock: tls.TLSSocket | null = null;
  #done: SecureDone | null = null;

  constructor(cfg: TlsConfig, server: boolean, o: SecureOptions, names: Map<string, tls.SecureContext> | null, busy: Busy | null) {
    this.#cfg = cfg;
    this.#server = server;
    this.#o = o;
    this.#names = names;
    this.#busy = busy;
  }

  start(stream: StreamLike, pending: Buffer, done: SecureDone): void {
    this.#done = done;
    let raw: net.Socket | StreamDuplex;
    let activity: Activity | null = null;
    if (stream instanceof net.Socket) {
      // Bytes the plain socket read ahead (a ClientHello, say) go back to the stream; the TLS
      // layer reads what the stream holds when it starts.
      if (pending.length > 0) stream.unshift(pending);
      raw = stream;
    } else {
      if (this.#busy !== null) {
        activity = new Activity(this.#busy);
        activity.touch();
      }
      raw = new StreamDuplex(stream, pending, activity);
    }
    const sock = this.#server ? this.#serverSocket(raw, this.#o.sni) : this.#clientSocket(raw, this.#o.sni);
    if (raw !== stream) {
      // Over a JavaScript stream the TLS socket knows no addresses: they are the connection's.
      for (const k of ADDRESS_KEYS) Object.defineProperty(sock, k, { get: () => stream[k], configurable: true });
      if (activity !== null) track(sock, activity);
    }
    this.#sock = sock;
    sock.on("error", this.#onError);
    sock.on("close", this.#onClose);
    sock.on("end", this.#onClose);
    sock.once(this.#server ? "secure" : "secureConnect", this.#onSecure);
  }

  abort(): void {
    this.#done = null;
    this.#drop();
  }

  #serverSocket(stream: net.Socket | StreamDuplex, sni: Sni | null): tls.TLSSocket {
    const cfg = this.#cfg;
    const opts: tls.TLSSocketOptions = {
      isServer: true,
      secureContext: cfg.context,
      requestCert: cfg.verifyPeer,
      rejectUnauthorized: cfg.requirePeerCert,
    };
    if (cfg.alpn) opts.ALPNProtocols = cfg.alpn;
    const names = this.#names;
    if (names !== null) {
      const strict = sni!.strict;
      opts.SNICallback = (name, cb) => {
        const ctx = names.get(name);
        if (ctx !== undefined || !strict) cb(null, ctx);
        else cb(new Error(`unknown server name '${name}'`));
      };
    }
    return new tls.TLSSocket(stream, opts);
  }

  #clientSocket(stream: net.Socket | StreamDuplex, sni: Sni | null): tls.TLSSocket {
    const cfg = this.#cfg;
    const x = cfg.extra;
    const host = typeof x.host === "string" ? x.host : this.#o.host;
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
    const sock = this.#sock;
    if (sock === null) return;
    if (this.#server && this.#cfg.verifyPeer) {
      // node:tls checks a client certificate only for sockets of a tls.Server; a socket made
      // on its own asks OpenSSL's verdict the way tls.Server does (the handle's verifyError).
      const cert = sock.getPeerCertificate();
      const has = cert !== null && Object.keys(cert).length > 0;
      if (!has && this.#cfg.requirePeerCert) return this.#fail("peer did not return a certificate", undefined);
      if (has) {
        const h = (sock as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })._handle;
        const err: (Error & { code?: string }) | null = h?.verifyError ? h.verifyError() : new Error("cannot verify the peer certificate");
        if (err) {
          sock.authorizationError = err;
          return this.#fail(`certificate verify failed: ${err.message}`, err.code);
        }
        sock.authorized = true;
      }
    }
    this.#release(sock);
    this.#sock = null;
    const done = this.#done;
    this.#done = null;
    done?.(null, sock);
  };

  #onError = (e: Error & { code?: string }): void => {
    this.#fail(e.message || String(e), e.code);
  };

  #onClose = (): void => {
    this.#fail("closed", undefined);
  };

  #release(sock: tls.TLSSocket): void {
    sock.off("error", this.#onError);
    sock.off("close", this.#onClose);
    sock.off("end", this.#onClose);
    sock.off("secure", this.#onSecure);
    sock.off("secureConnect", this.#onSecure);
  }

  #fail(reason: string, code: string | undefined): void {
    const done = this.#done;
    this.#done = null;
    this.#drop();
    done?.(reason, null, code);
  }

  /** Drops the connection, once. */
  #drop(): void {
    const sock = this.#sock;
    if (sock === null) return;
    this.#sock = null;
    this.#release(sock);
    sock.on("error", ignore); // late errors of a dead connection must not crash the process
    sock.destroy();
  }
}

/** Marks the engine busy on every call the TCP object makes into the TLS socket (duplex.ts). */
function track(sock: tls.TLSSocket, activity: Activity): void {
  const s = sock as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const m of TRACKED) {
    const f = s[m]!;
    s[m] = function (this: unknown, ...a: unknown[]) {
      activity.touch();
      return f.apply(this, a);
    };
  }
}
