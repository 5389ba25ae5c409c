// TLS for copas, over node:tls, as Copas does it with LuaSec: `copas.dohandshake(skt, params)`
// turns a connected TCP socket into a TLS one (the op waits while the handshake runs, bounded
// by the socket's copas connect timeout, as Copas's `sto_timeout(nskt, "write", true)`), and
// the hooks below give wrapped sockets `sni()` and `dohandshake()`.
//
// Fixed Copas bugs: clients check the server's certificate and host name unless told
// `verify: "none"` (#222); an empty parameter table is an error, not plain text (#210); and a
// server handshake that times out does not run the protected handler (#189, lib/ops.ts).

import { TimeoutKind, type Kernel, type TlsProvider } from "../core/kernel.js";
import { Selectable, WRITE } from "../socket/select.js";
import { TcpSocket } from "../socket/tcp.js";
import { TlsHandshake, type Sni } from "./tls-handshake.js";
import { isSecureContext, tlsConfig } from "./tls-params.js";
import { TlsSocket } from "./tls-socket.js";
import { SUSPEND } from "../core/trampoline.js";
import * as check from "../common/check.js";
import type { Op } from "../common/types.js";
import { normalizeSsl } from "../core/wrap.js";

/** SNI set by a wrapped socket's `sni()`, used by its next handshake. */
const pendingSni = new WeakMap<Selectable, Sni>();

const NO_PARAMS = "cannot wrap socket into a secure socket (using 'ssl.wrap()') without parameters/context";

/** True when `s` was accepted by a server (a handshake without a mode is then a server's). */
function accepted(s: TcpSocket): boolean {
  const st = s._stream as { server?: unknown } | null;
  return st !== null && st.server !== undefined && st.server !== null;
}

/**
 * Op: the TLS handshake on a connected TCP socket. `[tlsSocket, null]`; `[null, "timeout"]`
 * when the socket's copas connect timeout passes first (the connection is then dropped); any
 * other failure throws `Error("TLS/SSL handshake failed: <reason>")`. A TLS socket is returned
 * as it is. `server` says which side runs it when the parameters have no `mode`.
 */
export function* dohandshake(k: Kernel, s: Selectable, params: unknown, server?: boolean): Op<[TlsSocket, null] | [null, string]> {
  const t = k.self("dohandshake");
  if (s instanceof TlsSocket) return [s, null];
  if (!(s instanceof TcpSocket)) check.fail("dohandshake", "skt", "a connected TCP socket", s);
  let wrap = params;
  let sni = pendingSni.get(s) ?? null;
  if (typeof wrap === "object" && wrap !== null && !isSecureContext(wrap) && ("wrap" in wrap || "sni" in wrap)) {
    const n = normalizeSsl(wrap, "dohandshake");
    wrap = n.wrap;
    if (n.sni && sni === null) sni = { names: n.sni.names, strict: !!n.sni.strict };
  }
  if (wrap === undefined || wrap === null || wrap === false) throw new Error(NO_PARAMS);
  const cfg = tlsConfig(wrap);
  pendingSni.delete(s);
  const hs = new TlsHandshake(s, cfg, cfg.isServer ?? server ?? accepted(s), sni);
  // The handshake waits with the socket's name and timeouts (its connect timeout bounds it).
  k.adopt(s, hs, false);
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
  if (n === null) throw new Error(`TLS/SSL handshake failed: ${hs.error}`);
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

/** Node's TLS for copas dispatchers (given to them by the public Copas class). */
export const nodeTls: TlsProvider = { dohandshake, sni };
