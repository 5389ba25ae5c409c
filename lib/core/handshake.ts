// TLS for copas, as Copas does it with LuaSec: `copas.dohandshake(skt, params)` turns a
// connected TCP socket into a TLS one (the op waits while the handshake runs, bounded by the
// socket's copas connect timeout, as Copas's `sto_timeout(nskt, "write", true)`, or else by the
// dispatcher's `handshakeTimeout`), and the hooks below give wrapped sockets `sni()` and
// `dohandshake()`. The TLS engine is the network's (`Network.secure`): node:tls on the real and
// the simulated network; nothing here knows it.
//
// Fixed Copas bugs: clients check the server's certificate and host name unless told
// `verify: "none"` (#222); an empty parameter table is an error, not plain text (#210); a
// server handshake that times out does not run the protected handler (#189, ops.ts); and a
// handshake has a time limit by default, so a client that sends half a ClientHello (or nothing)
// cannot hold a thread and a descriptor forever.

import type { Copas } from "./dispatcher.js";
import { SUSPEND } from "./trampoline.js";
import { normalizeSsl, type CopasSocket, type TlsHooks } from "./wrap.js";
import * as check from "../common/check.js";
import { TlsHandshakeError } from "../common/errors.js";
import type { Op } from "../common/types.js";
import { isThenable } from "../common/yieldable.js";
import { networkName, type SecureHandshake, type Sni } from "../socket/network.js";
import { Selectable, WRITE } from "../socket/select.js";
import { TcpSocket } from "../socket/tcp.js";
import { TlsHandshake } from "../socket/tls-handshake.js";
import { TlsSocket } from "../socket/tls-socket.js";

/**
 * Default time limit of a TLS handshake, in seconds, where the socket has no copas connect
 * timeout (`new Copas({ handshakeTimeout })` or `copas.handshakeTimeout` changes it).
 * Node's tls.Server uses 120 s, nginx's ssl_handshake_timeout 60 s. A handshake is two round
 * trips plus some milliseconds of CPU, so even a 2 s satellite round trip with a few
 * retransmissions needs well under 30 s; 60 s leaves that margin twice over, and frees a
 * stalled client's thread and descriptor twice as fast as Node's default.
 */
export const HANDSHAKE_TIMEOUT = 60;

/** SNI set by a wrapped socket's `sni()`, used by its next handshake. */
const pendingSni = new WeakMap<Selectable, Sni>();

const NO_PARAMS = "cannot wrap socket into a secure socket (using 'ssl.wrap()') without parameters/context";

/**
 * Op: the TLS handshake on a connected TCP socket. `[tlsSocket, null]`; `[null, "timeout"]`
 * when the socket's copas connect timeout (else the dispatcher's handshake timeout) passes
 * first (the connection is then dropped); any other failure throws a TlsHandshakeError
 * ("TLS/SSL handshake failed: <reason>"). A TLS socket is returned as it is. `server` says
 * which side runs it when the parameters have no `mode` (default: the side that accepted).
 */
export function* dohandshake(d: Copas, s: Selectable, params: unknown, server?: boolean): Op<[TlsSocket, null] | [null, string]> {
  const t = d._self("dohandshake");
  if (s instanceof TlsSocket) return [s, null];
  if (!(s instanceof TcpSocket)) check.fail("dohandshake", "skt", "a connected TCP socket", s);
  let wrap = params;
  let sni = pendingSni.get(s) ?? null;
  if (typeof wrap === "object" && wrap !== null && ("wrap" in wrap || "sni" in wrap)) {
    const n = normalizeSsl(wrap, "dohandshake");
    wrap = n.wrap;
    if (n.sni && sni === null) sni = { names: n.sni.names, strict: !!n.sni.strict };
  }
  if (wrap === undefined || wrap === null || wrap === false) throw new Error(NO_PARAMS);
  const net = s._network;
  if (typeof net.secure !== "function") {
    throw new Error(`dohandshake: ${networkName(net)} cannot secure connections (its Network has no 'secure')`);
  }
  // The parameters are checked here, before the socket gives up its stream.
  const prepared = net.secure(wrap, { server: server ?? s._accepted, sni, host: s._peerHost });
  const h = isThenable(prepared) ? ((yield prepared) as SecureHandshake) : prepared;
  pendingSni.delete(s);
  const hs = new TlsHandshake(s, h);
  const cto = s._cto;
  const limit = cto !== null && cto[0] > 0 && cto[0] !== Infinity ? cto[0] : d.handshakeTimeout;
  hs._cto = [limit, Infinity, Infinity];
  hs._cname = s._cname;
  d._opBegin(t, 0);
  try {
    while (!hs.done) {
      if (t._timedOut) {
        d._opEnd(t);
        hs.close();
        return [null, t._socketTimeoutErrors ? "wantread" : "timeout"];
      }
      d._block(t, hs, WRITE);
      yield SUSPEND;
    }
  } finally {
    if (!hs.done) hs.close(); // the thread was removed mid-handshake
  }
  d._opEnd(t);
  const n = hs.result;
  if (n === null) throw new TlsHandshakeError(hs.error ?? "closed", hs.code);
  // As Copas's ssl_wrap: the new socket keeps the settings, timeouts, name and autoclose.
  s._copySettings(n);
  n._cto = cto === null ? null : [cto[0], cto[1], cto[2]];
  n._cname = s._cname;
  if (t._autoclose === (s as unknown)) t._autoclose = n;
  return [n, null];
}

/** `skt:sni(names, strict)`: records SNI for the socket's handshake (names from sslparams when omitted). */
function sni(w: CopasSocket, names: unknown, strict: boolean | undefined): true {
  if (names === undefined || names === null) {
    const p = w.ssl_params.sni;
    if (p) {
      names = p.names;
      strict = p.strict;
    }
  }
  if (typeof names !== "string" && (typeof names !== "object" || names === null)) {
    check.fail("sni", "names", "a server name (client) or a table of names to contexts or parameters (server)", names);
  }
  pendingSni.set(w.socket, { names, strict: !!strict });
  return true;
}

/** A wrapped socket's handshake: its socket becomes the TLS one; `[w, null]` or `[null, err]`. */
function* handshake(w: CopasSocket, params: unknown, server?: boolean): Op<[CopasSocket, null] | [null, string]> {
  const r = yield* dohandshake(w.copas, w.socket, params, server);
  if (r[0] === null) return r;
  w.socket = r[0];
  return [w, null];
}

/** What wrapped sockets call (installed as `copas._tls`). */
export const tlsHooks: TlsHooks = { sni, handshake };
