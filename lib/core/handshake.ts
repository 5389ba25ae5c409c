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

import * as check from "../common/check.js";
import { TlsHandshakeError } from "../common/errors.js";
import type { Op } from "../common/types.js";
import { isThenable } from "../common/yieldable.js";
import { networkName, type SecureHandshake, type Sni } from "../socket/network.js";
import { Selectable, WRITE } from "../socket/select.js";
import { TcpSocket } from "../socket/tcp.js";
import { TlsHandshake } from "../socket/tls-handshake.js";
import { TlsSocket } from "../socket/tls-socket.js";
import { TimeoutKind, type Kernel, type TlsProvider } from "./kernel.js";
import { stateOf } from "./socket-state.js";
import { SUSPEND } from "./trampoline.js";
import { normalizeSsl } from "./wrap.js";

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
export function* dohandshake(k: Kernel, s: Selectable, params: unknown, server?: boolean): Op<[TlsSocket, null] | [null, string]> {
  const t = k.self("dohandshake");
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
  // The handshake waits with the socket's name and timeouts: its connect timeout bounds it, or
  // else the dispatcher's handshake limit.
  k.adopt(s, hs, false);
  const st = stateOf(hs);
  const cto = st.to === null ? Infinity : st.to[TimeoutKind.Connect];
  if (!(cto > 0 && cto !== Infinity)) st.to = [k.dispatcher.handshakeTimeout, Infinity, Infinity];
  k.opBegin(t, TimeoutKind.Connect);
  try {
    while (!hs.done) {
      if (k.timedOut(t)) {
        k.opEnd(t);
        hs.close();
        return [null, k.timeoutError(t, "wantread")];
      }
      k.block(t, hs, WRITE);
      yield SUSPEND;
    }
  } finally {
    if (!hs.done) hs.close(); // the thread was removed mid-handshake
  }
  k.opEnd(t);
  const n = hs.result;
  if (n === null) throw new TlsHandshakeError(hs.error ?? "closed", hs.code);
  // As Copas's ssl_wrap: the new socket keeps the settings, timeouts, name and autoclose.
  s._copySettings(n);
  k.adopt(s, n, true);
  return [n, null];
}

/** `skt:sni(names, strict)`: records SNI for the socket's next handshake. */
function sni(s: Selectable, names: unknown, strict: boolean): true {
  pendingSni.set(s, { names, strict });
  return true;
}

/** TLS through the socket's network (`Network.secure`): every dispatcher's, unless told otherwise. */
export const networkTls: TlsProvider = { dohandshake, sni };
