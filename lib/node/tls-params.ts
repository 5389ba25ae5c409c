// LuaSec's TLS parameters ("the wrap table") mapped onto node:tls. A table is turned into a
// TlsConfig once and cached (a SecureContext per table, not per connection), so a server that
// passes the same table for every client pays for reading keys and certificates only once.
//
//   LuaSec key     node:tls
//   mode           isServer ("server" | "client"; else from where the handshake runs)
//   protocol       minVersion ("any"/"sslv23": Node's default; "tlsv1".."tlsv1_3": that floor)
//   key            key            (file path or PEM text)
//   certificate    cert           (file path or PEM text)
//   cafile         ca             (file path or PEM text; replaces the default roots)
//   capath         ca             (every *.pem / *.crt file in the directory)
//   password       passphrase     (a string, or a function returning one)
//   verify         client: rejectUnauthorized (default "peer": chain and host name checked,
//                  unlike Copas #222; "none" opts out). server: "peer" asks for a client
//                  certificate and checks it if given; "fail_if_no_peer_cert" requires one.
//   options        secureOptions  ("all", "no_tlsv1", "cipher_server_preference", ...)
//   ciphers        ciphers;  curve: ecdhCurve;  dhparam: dhparam;  alpn: ALPNProtocols
// Any other key is passed to node:tls as is (cert, ca, servername, minVersion, ...), and a
// `tls.SecureContext` may stand for the whole table.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import tls from "node:tls";
import * as check from "../common/check.js";

/** A wrap table normalised for a handshake. */
export interface TlsConfig {
  /** true: server, false: client, null: decided by where the handshake runs. */
  isServer: boolean | null;
  context: tls.SecureContext;
  /** Client: check the server's chain and name. Server: reject a bad client certificate. */
  verifyPeer: boolean;
  /** Server: a client certificate is required ("fail_if_no_peer_cert"). */
  requirePeerCert: boolean;
  alpn: string[] | undefined;
  /** Node options given directly (servername, checkServerIdentity, ...). */
  extra: Record<string, unknown>;
}

const LUASEC_KEYS = new Set([
  "mode", "protocol", "key", "certificate", "cafile", "capath", "password", "verify", "options",
  "ciphers", "ciphersuites", "curve", "curves_list", "dhparam", "alpn", "depth",
]);

const PROTOCOLS: Record<string, tls.SecureVersion | null> = {
  any: null,
  sslv23: null,
  tlsv1: "TLSv1",
  tlsv1_1: "TLSv1.1",
  tlsv1_2: "TLSv1.2",
  tlsv1_3: "TLSv1.3",
};

const VERIFY = new Set(["none", "peer", "client_once", "fail_if_no_peer_cert"]);

/** LuaSec options that OpenSSL no longer has (they are no-ops there too). */
const OBSOLETE = new Set([
  "single_dh_use", "single_ecdh_use", "ephemeral_rsa", "microsoft_sess_id_bug", "netscape_challenge_bug",
  "netscape_reuse_cipher_change_bug", "sslref2_reuse_cert_type_bug", "microsoft_big_sslv3_buffer",
  "msie_sslv2_rsa_padding", "ssleay_080_client_dh_bug", "tls_d5_bug", "tls_block_padding_bug",
  "netscape_ca_dn_bug", "netscape_demo_cipher_change_bug", "no_sslv2",
]);

const cache = new WeakMap<object, TlsConfig>();

/** True for a `tls.SecureContext` (what `tls.createSecureContext` returns). */
function isSecureContext(v: unknown): v is tls.SecureContext {
  return typeof v === "object" && v !== null && (v as { context?: unknown }).context !== undefined && v.constructor?.name === "SecureContext";
}

/** Reads a PEM value: PEM text as is, else the contents of the file it names. */
function pem(what: string, v: unknown): string | Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v !== "string") check.fail("sslparams", what, "a file path or PEM text", v);
  if (v.includes("-----BEGIN")) return v;
  try {
    return fs.readFileSync(v);
  } catch (e) {
    throw new Error(`error loading ${what} (${(e as Error).message})`);
  }
}

function list(what: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
  return check.fail("sslparams", what, "a string or an array of strings", v);
}

function secureOptions(v: unknown): number {
  let bits = 0;
  for (const name of list("options", v)) {
    const key = "SSL_OP_" + name.toUpperCase();
    const found = Object.keys(crypto.constants).find((k) => k.toUpperCase() === key);
    if (found !== undefined) bits |= (crypto.constants as unknown as Record<string, number>)[found]!;
    else if (!OBSOLETE.has(name)) check.fail("sslparams", "options", 'OpenSSL option names such as "all", "no_tlsv1", "cipher_server_preference"', name);
  }
  return bits;
}

function capath(dir: unknown): Buffer[] {
  if (typeof dir !== "string") check.fail("sslparams", "capath", "a directory path", dir);
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => /\.(pem|crt)$/i.test(f))
      .map((f) => fs.readFileSync(path.join(dir, f)));
  } catch (e) {
    throw new Error(`error loading CA locations (${(e as Error).message})`);
  }
}

function build(t: Record<string, unknown>): TlsConfig {
  const extra: Record<string, unknown> = {};
  for (const k of Object.keys(t)) if (!LUASEC_KEYS.has(k)) extra[k] = t[k];
  const mode = t.mode;
  if (mode !== undefined && mode !== "server" && mode !== "client") check.fail("sslparams", "mode", '"server" or "client"', mode);
  const isServer = mode !== undefined ? mode === "server" : typeof t.isServer === "boolean" ? t.isServer : null;
  const opts: tls.SecureContextOptions = { ...(extra as tls.SecureContextOptions) };
  if (t.protocol !== undefined) {
    if (typeof t.protocol !== "string" || !(t.protocol in PROTOCOLS)) {
      check.fail("sslparams", "protocol", '"any", "tlsv1", "tlsv1_1", "tlsv1_2" or "tlsv1_3"', t.protocol);
    }
    const v = PROTOCOLS[t.protocol];
    if (v) opts.minVersion = v;
  }
  if (t.key !== undefined) opts.key = pem("private key", t.key);
  if (t.certificate !== undefined) opts.cert = pem("certificate", t.certificate);
  const ca: (string | Buffer)[] = [];
  if (t.cafile !== undefined) ca.push(pem("CA locations", t.cafile));
  if (t.capath !== undefined) ca.push(...capath(t.capath));
  if (ca.length > 0) opts.ca = ca;
  if (t.password !== undefined) {
    const p = typeof t.password === "function" ? (t.password as () => unknown)() : t.password;
    if (typeof p !== "string") check.fail("sslparams", "password", "a string or a function returning one", p);
    opts.passphrase = p;
  }
  if (t.options !== undefined) opts.secureOptions = (opts.secureOptions ?? 0) | secureOptions(t.options);
  if (t.ciphers !== undefined) opts.ciphers = check.string("sslparams", "ciphers", t.ciphers);
  if (t.curve !== undefined || t.curves_list !== undefined) opts.ecdhCurve = check.string("sslparams", "curve", t.curve ?? t.curves_list);
  if (t.dhparam !== undefined) opts.dhparam = pem("DH parameters", t.dhparam);
  const verify = list("verify", t.verify);
  for (const v of verify) if (!VERIFY.has(v)) check.fail("sslparams", "verify", '"none", "peer", "client_once" or "fail_if_no_peer_cert"', v);
  const given = t.verify !== undefined;
  let verifyPeer: boolean;
  if (typeof extra.rejectUnauthorized === "boolean") verifyPeer = extra.rejectUnauthorized;
  else if (given) verifyPeer = verify.includes("peer") || verify.includes("fail_if_no_peer_cert");
  else verifyPeer = isServer !== true; // clients verify by default (Copas #222); servers ask nothing
  const requirePeerCert = verify.includes("fail_if_no_peer_cert") || (isServer === true && extra.requestCert === true && extra.rejectUnauthorized === true);
  let context: tls.SecureContext;
  try {
    context = isSecureContext(extra.secureContext) ? extra.secureContext : tls.createSecureContext(opts);
  } catch (e) {
    throw new Error(`error creating TLS context (${(e as Error).message})`);
  }
  const alpn = t.alpn !== undefined ? list("alpn", t.alpn) : (extra.ALPNProtocols as string[] | undefined);
  return { isServer, context, verifyPeer, requirePeerCert, alpn, extra };
}

/**
 * The TlsConfig for `params`: a wrap table (LuaSec's keys and/or Node options) or a
 * `tls.SecureContext`. Cached per object. Throws a TypeError for a bad key and an Error when a
 * key or certificate cannot be loaded.
 */
export function tlsConfig(params: unknown): TlsConfig {
  if (typeof params !== "object" || params === null) {
    return check.fail("dohandshake", "sslparams", "a table of TLS parameters or a tls.SecureContext", params);
  }
  let c = cache.get(params);
  if (c !== undefined) return c;
  if (isSecureContext(params)) c = { isServer: null, context: params, verifyPeer: true, requirePeerCert: false, alpn: undefined, extra: {} };
  else {
    if (Object.keys(params).length === 0) {
      check.fail("dohandshake", "sslparams", "TLS parameters (mode, key, certificate, ...), not an empty table", params);
    }
    c = build(params as Record<string, unknown>);
  }
  cache.set(params, c);
  return c;
}

/** Server SNI: name → context, from LuaSec's `sni.names` (contexts, wrap tables or options). */
export function sniContexts(names: unknown): Map<string, tls.SecureContext> {
  const m = new Map<string, tls.SecureContext>();
  const entries = names instanceof Map ? [...names.entries()] : Object.entries(names as object);
  for (const [name, v] of entries) m.set(String(name), tlsConfig(v).context);
  return m;
}
