// TLS for copas, over node:tls, as Copas does it with LuaSec: `copas.dohandshake(skt, params)`
// turns a connected TCP socket into a TLS one (the op waits while the handshake runs, bounded
// by the socket's copas connect timeout, as Copas's `sto_timeout(nskt, "write", true)`), and
// the hooks below give wrapped sockets `sni()` and `dohandshake()`.
//
// Fixed Copas bugs: clients check the server's certificate and host name unless told
// `verify: "none"` (#222); an empty parameter table is an error, not plain text (#210); and a
// server handshake that times out does not run the protected handler (#189, lib/ops.ts).

import type { Copas } from "../core/dispatcher.js";
import { Selectable, WRITE } from "../socket/select.js";
import { TcpSocket } from "../socket/tcp.js";
import { TlsHandshake, type Sni } from "./tls-handshake.js";
import { isSecureContext, tlsConfig } from "./tls-params.js";
import { TlsSocket } from "./tls-socket.js";
import { SUSPEND } from "../core/trampoline.js";
import * as check from "../common/check.js";
import type { Op } from "../common/types.js";
import { normalizeSsl, type CopasSocket, type TlsHooks } from "../core/wrap.js";

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
export function* dohandshake(d: Copas, s: Selectable, params: unknown, server?: boolean): Op<[TlsSocket, null] | [null, string]> {
  const t = d._self("dohandshake");
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
  hs._cto = s._cto === null ? null : [s._cto[0], s._cto[1], s._cto[2]];
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
  if (n === null) throw new Error(`TLS/SSL handshake failed: ${hs.error}`);
  // As Copas's ssl_wrap: the new socket keeps the settings, timeouts, name and autoclose.
  s._copySettings(n);
  n._cto = hs._cto;
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
