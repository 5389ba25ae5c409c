// copas.http: LuaSocket's HTTP/1.1 client (socket.http) on copas sockets, with Copas's
// changes: https through TLS, redirects across http and https, timeouts as copas timeouts.
// Every request is an op on copas.wrap(copas.socket.tcp()), so it runs on any dispatcher,
// a simulated network included.
//
//   request   url string (GET, or POST of `body`) or a params table (LuaSocket's keys)
//   open      create the socket (`params.create`, default: plain or TLS by scheme), set the
//             copas timeouts (http.TIMEOUT = 60 s), connect (with TLS: handshake included)
//   send      request line and headers, then the body from `source` (by content-length,
//             else chunked)
//   receive   status line (HTTP/0.9 when it does not start "HTTP/"), 100-continue skipped,
//             headers, then the body into `sink`: chunked, by content-length, or until close
//   redirect  301/302/303/307/308 with a location, GET/HEAD only, no source, at most
//             `maxredirects` (5) times; https to http only with `redirect: "all"`
//
// Fixed Copas bugs and deviations: https checks the server's certificate and host name unless
// `verify: "none"` (#222); a TLS handshake failure is returned as `[null, "TLS/SSL handshake
// failed: ..."]` rather than thrown; a body of unknown length is sent with its
// "transfer-encoding: chunked" header (Copas sent chunks without it, as LuaSocket 3.1 does
// not); the URL fragment is not sent; bodies are read in bounded blocks (a chunk of any
// declared size, too).

import type { Dispatcher } from "../core/dispatcher.js";
import type { CopasSocket } from "../core/wrap.js";
import { BLOCKSIZE, ltn12 } from "./ltn12.js";
import { boundedTable, pull, push as pushRaw, type OpSink, type OpSource } from "./pull.js";
import { TpFailure as HttpFailure, MAXLINE, created, fail, line as tpLine, send } from "./tp.js";
import * as check from "../common/check.js";
import { TlsHandshakeError } from "../common/errors.js";
import { parseUrl } from "./url.js";
import { canonic } from "./headers.js";
import type { Data, Op } from "../common/types.js";

/** Response headers: lowercase names; repeated headers joined with ", ". */
export type HttpHeaders = Record<string, string>;

/** Copas timeouts of a request: seconds for all, or per phase. */
export type HttpTimeout =
  | number
  | {
      /** Seconds to connect. */
      connect?: number;
      /** Seconds per send. */
      send?: number;
      /** Seconds per receive. */
      receive?: number;
    };

export type { OpSink, OpSource };

/**
 * The generic form of `http.request` (LuaSocket's request table).
 *
 * ```ts
 * const [sink, parts] = copas.ltn12.sink.table();
 * const [ok, code, headers] = yield* copas.http.request({ url: "http://example.com/", sink });
 * ```
 */
export interface HttpRequestParams {
  /** The URL (`http://` or `https://`). */
  url?: string;
  /** Default "GET". */
  method?: string;
  /** Request headers (names in any case); they override the defaults (host, user-agent, ...). */
  headers?: Record<string, string | number>;
  /** The request body; without a content-length header it is sent chunked. */
  source?: OpSource;
  /** Where the response body goes (default: dropped). */
  sink?: OpSink;
  /** false: never follow redirects; "all": also from https to http. */
  redirect?: boolean | "all";
  /** Most redirects followed (default 5); false: no limit. */
  maxredirects?: number | false;
  /** Copas timeouts in seconds (default `http.TIMEOUT`). */
  timeout?: HttpTimeout;
  /** Makes the socket: `create(request)` → a socket (wrapped or not), or `[null, err]`. */
  create?: (reqt: HttpRequest) => unknown;
  /** An HTTP proxy: "http://host:port" (port default 3128). */
  proxy?: string;
  /** URL parts, overriding the url's. */
  scheme?: string;
  /** The host to connect to. */
  host?: string;
  /** The port (default 80, https 443). */
  port?: number | string;
  /** The path. */
  path?: string;
  /** Basic authentication: the user. */
  user?: string;
  /** Basic authentication: the password. */
  password?: string;
  /** The request target, as sent (default: from the path, params and query). */
  uri?: string;
  /** The URL's authority, overriding the url's (the Host header: `user:password@host:port`). */
  authority?: string;
  /** The URL's `;params`, overriding the url's. */
  params?: string;
  /** The URL's query, without `?`, overriding the url's. */
  query?: string;
  /** The URL's fragment, without `#` (never sent). */
  fragment?: string;
  /** TLS (https): LuaSec's client keys. `verify` defaults to "peer"; "none" opts out. */
  verify?: string | string[];
  /** TLS: the CA certificates to verify the server with (a file path or PEM text). */
  cafile?: string;
  /** TLS: the client certificate (a file path or PEM text). */
  certificate?: string;
  /** TLS: the client certificate's key (a file path or PEM text). */
  key?: string;
  /** TLS: LuaSec's protocol name (default `http.SSLPROTOCOL`). */
  protocol?: string;
  /** TLS: LuaSec's options (default `http.SSLOPTIONS`). */
  options?: string | string[];
  /** TLS parameters as LuaSec's `{ wrap, sni }` (Copas's sslparams); the keys above fill `wrap`. */
  sslparams?: {
    /** LuaSec's wrap table. */
    wrap?: Record<string, unknown>;
    /** SNI: the name to ask for (default: the URL's host name). */
    sni?:
      | {
          /** The server name. */
          names?: string;
          /** Unused by clients. */
          strict?: boolean;
        }
      | false;
  };
  /** @internal redirects so far. */
  nredirects?: number;
}

/** A request after its URL was parsed and defaults applied (what `create` is given). */
export interface HttpRequest extends HttpRequestParams {
  scheme: string;
  /** The host connected to. */
  host: string;
  /** The port connected to. */
  port: number;
  method: string;
  uri: string;
  /** The URL requested. */
  url: string;
  headers: Record<string, string | number>;
  /** The URL's authority (`user:password@host:port`). */
  authority?: string;
  /** The URL's `;params`. */
  params?: string;
  /** The URL's query, without `?`. */
  query?: string;
  /** The URL's fragment, without `#`. */
  fragment?: string;
}

/** `[body | 1, code, headers, status]` or `[null, err]` (HTTP/0.9: no headers nor status). */
export type HttpResult<B> = [B, number, HttpHeaders | null, string | null] | [null, string];

const SCHEMES: Record<string, number> = { http: 80, https: 443 };

function unescape(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** LuaSocket's url.absolute: `location` resolved against `base` (null when unusable). */
function absolute(base: string, location: string): string | null {
  try {
    return new URL(location, base).href;
  } catch {
    return null;
  }
}

function isIpLiteral(host: string): boolean {
  return host.includes(":") || /^\d+\.\d+\.\d+\.\d+$/.test(host);
}

const TIMEOUT_KEYS = new Set(["connect", "send", "receive"]);

/** What may not appear in a part of a request line or header line (it would end the line). */
const BAD_CHARS = /[\r\n\0]/;

/** The string params that end up on the request line or in a header (host, authorization). */
const LINE_PARTS = ["url", "method", "uri", "scheme", "host", "path", "params", "query", "authority", "user", "password", "proxy", "fragment"] as const;

/** The module's own strings that go into headers. */
function checkModule(m: HttpModule): void {
  const fn = "http.request";
  if (typeof m.USERAGENT !== "string" || BAD_CHARS.test(m.USERAGENT)) check.fail(fn, "http.USERAGENT", "a string without CR, LF or NUL", m.USERAGENT);
  check.bound(fn, "http.MAXLINE", m.MAXLINE);
  check.bound(fn, "http.MAXHEADERSIZE", m.MAXHEADERSIZE);
  check.bound(fn, "http.MAXINTERIM", m.MAXINTERIM, 0);
  if (m.MAXBODYSIZE !== Infinity) check.bound(fn, "http.MAXBODYSIZE", m.MAXBODYSIZE, 0);
  check.optSeconds(fn, "http.TIMEOUT", m.TIMEOUT);
}

/** Checks the request table's types (TypeErrors, where Lua would fail later or not at all). */
function checkParams(p: HttpRequestParams): void {
  const fn = "http.request";
  if (p.url !== undefined && p.url !== null && typeof p.url !== "string") check.fail(fn, "params.url", "a string", p.url);
  if (p.method !== undefined && p.method !== null && typeof p.method !== "string") check.fail(fn, "params.method", "a string", p.method);
  if (p.headers !== undefined && p.headers !== null && !check.isTable(p.headers)) check.fail(fn, "params.headers", "an object of header names to values", p.headers);
  for (const k of ["source", "sink", "create"] as const) {
    const v = p[k];
    if (v !== undefined && v !== null && typeof v !== "function") check.fail(fn, `params.${k}`, "a function", v);
  }
  // No CR, LF or NUL where they would end a line of the request (request splitting): every
  // part that goes onto the request line or a header line (the fragment too, for consistency).
  for (const k of LINE_PARTS) {
    const v = (p as Record<string, unknown>)[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") check.fail(fn, `params.${k}`, "a string", v);
    if (BAD_CHARS.test(v)) check.fail(fn, `params.${k}`, "a string without CR, LF or NUL", v);
  }
  if (p.port !== undefined && p.port !== null) check.port(fn, "params.port", p.port);
  if (p.headers) {
    for (const [k, v] of Object.entries(p.headers)) {
      if (k === "" || /[\r\n\0:]/.test(k)) check.fail(fn, `params.headers[${JSON.stringify(k)}]`, "a header name: not empty, without CR, LF, NUL or ':'", k);
      if (!(typeof v === "string" || (typeof v === "number" && Number.isFinite(v)))) check.fail(fn, `params.headers[${JSON.stringify(k)}]`, "a string or a finite number", v);
      if (typeof v === "string" && BAD_CHARS.test(v)) check.fail(fn, `params.headers[${JSON.stringify(k)}]`, "a header value without CR, LF or NUL", v);
    }
  }
  // TLS keys (used by https; checked for http too, so a mistake does not wait for a redirect).
  for (const k of ["protocol", "cafile", "certificate", "key"] as const) {
    const v = p[k];
    if (v !== undefined && v !== null && typeof v !== "string") check.fail(fn, `params.${k}`, "a string", v);
  }
  for (const k of ["verify", "options"] as const) {
    const v = p[k];
    if (v !== undefined && v !== null && typeof v !== "string" && !(Array.isArray(v) && v.every((x) => typeof x === "string"))) {
      check.fail(fn, `params.${k}`, "a string or an array of strings", v);
    }
  }
  const sp = p.sslparams;
  if (sp !== undefined && sp !== null && !check.isTable(sp)) check.fail(fn, "params.sslparams", "an object ({ wrap, sni })", sp);
  const to = p.timeout;
  if (typeof to === "object" && to !== null && !check.isTable(to)) check.fail(fn, "params.timeout", "a number of seconds or { connect?, send?, receive? }", to);
  if (typeof to === "object" && to !== null) {
    for (const k of Object.keys(to)) {
      if (!TIMEOUT_KEYS.has(k)) throw new TypeError(`'${k}' is not a valid timeout option. Valid: 'connect', 'send', 'receive'`);
      check.optNumber(fn, `params.timeout.${k}`, (to as Record<string, unknown>)[k]);
    }
  } else if (to !== undefined && to !== null) check.number(fn, "params.timeout", to);
  const mr = p.maxredirects;
  // NaN compared false against the count: it meant "no limit" without saying so.
  if (mr !== undefined && mr !== null && mr !== false && !(typeof mr === "number" && (Number.isInteger(mr) || mr === Infinity) && mr >= 0)) {
    check.fail(fn, "params.maxredirects", "an integer >= 0, Infinity or false", mr);
  }
  const rd = p.redirect;
  if (rd !== undefined && rd !== null && typeof rd !== "boolean" && rd !== "all") check.fail(fn, "params.redirect", 'true, false or "all"', rd);
}

/** Defaults of https requests (Copas's http.SSL*; verify is "peer", not Copas's "none": #222). */
interface TlsDefaults {
  SSLPROTOCOL: string;
  SSLOPTIONS: string | string[];
  SSLVERIFY: string | string[];
}

/**
 * Copas's getcreatefunc: a `create` making a plain socket for http and a TLS one for https
 * (SNI: the host name, never an IP literal), refusing https → http redirects unless
 * `params.redirect === "all"`.
 */
function getcreatefunc(d: Dispatcher, m: TlsDefaults, params: HttpRequestParams = {}): (reqt: HttpRequest) => unknown {
  const given = params.sslparams ?? {};
  const wrap: Record<string, unknown> = { ...(given.wrap ?? {}) };
  for (const k of ["protocol", "options", "verify", "cafile", "certificate", "key"] as const) {
    if (wrap[k] === undefined && params[k] !== undefined && params[k] !== null) wrap[k] = params[k];
  }
  wrap.protocol ??= m.SSLPROTOCOL;
  wrap.options ??= m.SSLOPTIONS;
  wrap.verify ??= m.SSLVERIFY;
  wrap.mode = "client";
  const sniName = given.sni ? given.sni.names : undefined;
  let washttps = false;
  let first = true;
  return (reqt) => {
    if (reqt.scheme === "https") {
      let name = first ? sniName : undefined;
      first = false;
      if (name === undefined && !isIpLiteral(reqt.host)) name = reqt.host;
      washttps = true;
      return d.wrap(d.socket.tcp(), { wrap, sni: name === undefined ? false : { names: name } });
    }
    if (washttps && params.redirect !== "all") fail("Unallowed insecure redirect https to http");
    return d.wrap(d.socket.tcp());
  };
}

/** LuaSocket's adjustrequest: the parsed, defaulted request. */
function adjustrequest(m: HttpModule, reqt: HttpRequestParams): HttpRequest {
  const n = (reqt.url !== undefined && reqt.url !== null ? parseUrl(reqt.url) : {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(reqt)) if (v !== undefined && v !== null) n[k] = v;
  n.scheme ??= "http";
  if (typeof n.scheme !== "string") fail(`invalid scheme '${String(n.scheme)}'`);
  const scheme = n.scheme.toLowerCase();
  n.scheme = scheme;
  if (SCHEMES[scheme] === undefined) fail(`unsupported scheme '${scheme}'`);
  if (n.port === undefined || n.port === "") n.port = SCHEMES[scheme];
  else n.port = Number(n.port);
  if (typeof n.host !== "string" || n.host === "") fail(`invalid host '${n.host === undefined ? "nil" : check.tostring(n.host)}'`);
  if (n.path === undefined) n.path = "/";
  if (typeof n.method !== "string" || n.method === "") n.method = "GET";
  const r = n as unknown as HttpRequest;
  // The URL this request stands for (redirects are resolved against it).
  const hostPort = r.port === SCHEMES[scheme] ? r.host : `${r.host.includes(":") ? `[${r.host}]` : r.host}:${r.port}`;
  r.url = `${scheme}://${hostPort}${r.path}${r.query !== undefined ? "?" + r.query : ""}`;
  r.uri = reqt.uri ?? adjusturi(r);
  const proxy = reqt.proxy;
  if (proxy !== undefined && proxy !== null) {
    const p = parseUrl(proxy);
    if (p.host === undefined || p.host === "") fail(`invalid proxy '${proxy}'`);
    r.host = p.host;
    r.port = p.port !== undefined && p.port !== "" ? Number(p.port) : 3128;
  }
  r.headers = adjustheaders(m, r, reqt.headers, hostPort);
  if (r.source && r.headers["content-length"] === undefined && r.headers["transfer-encoding"] === undefined) {
    r.headers["transfer-encoding"] = "chunked";
  }
  return r;
}

/** The request target: path, params and query (the whole URL through a proxy). */
function adjusturi(r: HttpRequest): string {
  const tail = `${r.path}${r.params !== undefined ? ";" + r.params : ""}${r.query !== undefined ? "?" + r.query : ""}`;
  if (r.proxy === undefined || r.proxy === null) return tail;
  const auth = r.authority ?? (r.port === SCHEMES[r.scheme] ? r.host : `${r.host}:${r.port}`);
  return `${r.scheme}://${auth}${tail}`;
}

function adjustheaders(m: HttpModule, r: HttpRequest, given: Record<string, string | number> | undefined, hostPort: string): Record<string, string | number> {
  const lower: Record<string, string | number> = {
    host: r.authority !== undefined ? r.authority.replace(/^[^@]*@/, "") : hostPort,
    "user-agent": m.USERAGENT,
    connection: "close, TE",
    te: "trailers",
  };
  if (r.user !== undefined && r.password !== undefined) {
    lower.authorization = "Basic " + Buffer.from(`${r.user}:${unescape(r.password)}`, "latin1").toString("base64");
  }
  if (given) for (const [k, v] of Object.entries(given)) lower[k.toLowerCase()] = v;
  return lower;
}

function shouldredirect(r: HttpRequest, code: number, headers: HttpHeaders): string | null {
  const loc = headers.location;
  if (loc === undefined || loc.replace(/\s/g, "") === "") return null;
  if (r.redirect === false) return null;
  if (code !== 301 && code !== 302 && code !== 303 && code !== 307 && code !== 308) return null;
  if (r.method !== "GET" && r.method !== "HEAD") return null;
  const max = r.maxredirects ?? 5;
  if (max !== false && (r.nredirects ?? 0) >= max) return null;
  const target = absolute(r.url, loc.replace(/\s/g, ""));
  if (target === null) return null;
  const scheme = parseUrl(target).scheme?.toLowerCase();
  if (scheme !== undefined && SCHEMES[scheme] === undefined) return null;
  return target;
}

function shouldreceivebody(r: HttpRequest, code: number): boolean {
  if (r.method === "HEAD") return false;
  if (code === 204 || code === 304) return false;
  return !(code >= 100 && code < 200);
}

/** Gives a chunk to a sink: false when the sink asked to stop (its error, if any, is thrown). */
function* push(snk: OpSink, chunk: string | null, err: string | null): Op<boolean> {
  const [ok, e] = yield* pushRaw(snk, chunk, err);
  if (!ok && e !== null) fail(e);
  return ok;
}

/** What reading a response needs: the module's bounds and the request's receive timeout. */
interface Rx {
  m: HttpModule;
  /** Seconds (Infinity: none); a line as a whole is bounded by it, as one receive("*l") was. */
  timeout: number;
}

/** A line of at most `http.MAXLINE` bytes, checked as it grows, within the receive timeout (see tp.line). */
function line(c: CopasSocket, x: Rx, what: string, prefix = ""): Op<string> {
  return tpLine(c, x.m.MAXLINE, what, "http.MAXLINE", prefix, x.timeout);
}

/** Default most bytes of header lines in one header block (LuaSocket 3.1's MAXHEADERSIZE); `http.MAXHEADERSIZE`. */
export const MAXHEADERSIZE = 65536;

/** Default most bytes the simple form collects into its body string (64 MiB); `http.MAXBODYSIZE`. */
export const MAXBODYSIZE = 64 * 1024 * 1024;

/** Default most interim `100 Continue` responses skipped before the final one; `http.MAXINTERIM`. */
export const MAXINTERIM = 10;

/**
 * Reads header lines up to the blank one into `headers` (folded values unfolded). A block
 * over `http.MAXHEADERSIZE` fails with "oversized", a line over `http.MAXLINE` with "<what>
 * line too long", so a server cannot grow the table without bound.
 */
function* receiveheaders(c: CopasSocket, m: Rx, headers: HttpHeaders, what = "header"): Op<HttpHeaders> {
  let budget = m.m.MAXHEADERSIZE;
  const w = `${what} line`;
  let l = yield* line(c, m, w);
  while (l !== "") {
    budget -= l.length;
    if (budget < 0) fail("oversized");
    const mt = /^(.*?):\s*(.*)$/s.exec(l);
    if (mt === null) fail("malformed reponse headers");
    const name = mt[1]!.toLowerCase();
    let value = mt[2]!;
    l = yield* line(c, m, w);
    while (/^\s/.test(l)) {
      value += l;
      budget -= l.length;
      if (budget < 0) fail("oversized");
      l = yield* line(c, m, w);
    }
    if (name === "__proto__") continue;
    headers[name] = Object.prototype.hasOwnProperty.call(headers, name) ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

/** Sends the body from `src`: as is with a content-length, else chunked. */
function* sendbody(c: CopasSocket, headers: Record<string, string | number>, src: OpSource): Op<void> {
  const chunked = headers["content-length"] === undefined;
  for (;;) {
    const [chunk, err] = yield* pull(src);
    if (chunk === null) {
      if (chunked) yield* send(c, "0\r\n\r\n");
      if (err !== null) fail(err);
      return;
    }
    const s = chunk;
    if (chunked) yield* send(c, `${s.length.toString(16).toUpperCase()}\r\n${s}\r\n`);
    else if (s.length > 0) yield* send(c, s);
  }
}

/** The status line: `[code, line]`, or `[null, firstBytes]` for an HTTP/0.9 answer. */
function* receivestatusline(c: CopasSocket, mod: Rx): Op<[number, string] | [null, string]> {
  const [head, err] = yield* c.receive(5);
  if (head === null) fail(err);
  if (head !== "HTTP/") return [null, head];
  const status = yield* line(c, mod, "status line", head);
  const m = /HTTP\/\d*\.\d* (\d\d\d)/.exec(status);
  if (m === null) fail(status);
  return [Number(m[1]), status];
}

/** Reads the body into `snk`: chunked, by content-length, or until the server closes. */
function* receivebody(c: CopasSocket, m: Rx, headers: HttpHeaders, snk: OpSink): Op<void> {
  const te = headers["transfer-encoding"];
  const cl = headers["content-length"];
  if (te !== undefined && te !== "identity") {
    for (;;) {
      const hex = (yield* line(c, m, "chunk-size line")).replace(/;.*/s, "").trim();
      const size = /^[0-9a-fA-F]+$/.test(hex) ? parseInt(hex, 16) : NaN;
      if (Number.isNaN(size)) {
        yield* push(snk, null, "invalid chunk size");
        fail("invalid chunk size");
      }
      if (size === 0) {
        yield* receiveheaders(c, m, {}, "trailer"); // trailers: read and dropped, as LuaSocket does
        yield* push(snk, null, null);
        return;
      }
      if (!(yield* bylength(c, snk, size))) return;
      yield* line(c, m, "chunk-size line"); // the CRLF after the chunk
    }
  }
  const length = cl !== undefined && /^\s*\d+\s*$/.test(cl) ? Number(cl) : null;
  if (length !== null) {
    if (yield* bylength(c, snk, length)) yield* push(snk, null, null);
    return;
  }
  yield* untilclosed(c, snk);
}

/** Gives the next `n` bytes to the sink, in bounded reads; false when the sink stopped. */
function* bylength(c: CopasSocket, snk: OpSink, n: number): Op<boolean> {
  for (let left = n; left > 0; ) {
    const [chunk, err] = yield* c.receive(Math.min(BLOCKSIZE_NET, left));
    if (chunk === null) {
      yield* push(snk, null, err);
      fail(err);
    }
    left -= chunk.length;
    if (!(yield* push(snk, chunk, null))) return false;
  }
  return true;
}

function* untilclosed(c: CopasSocket, snk: OpSink): Op<void> {
  for (;;) {
    const [chunk, err, partial] = yield* c.receive(BLOCKSIZE_NET);
    if (chunk !== null) {
      if (!(yield* push(snk, chunk, null))) return;
      continue;
    }
    if (err !== "closed") {
      yield* push(snk, null, err);
      fail(err);
    }
    if (partial !== null && partial !== "" && !(yield* push(snk, partial, null))) return;
    yield* push(snk, null, null);
    return;
  }
}

/** Bytes asked of the socket per read of a body (bounds what one read buffers). */
const BLOCKSIZE_NET = 4 * BLOCKSIZE;

/** Creates, times and connects the request's socket (closed again on failure). */
function* open(m: HttpModule, r: HttpRequest): Op<CopasSocket> {
  const c = created(m.copas, r.create!(r), "http.request", "params.create");
  try {
    const to = r.timeout ?? m.TIMEOUT;
    if (typeof to === "object") c.settimeouts(to.connect ?? m.TIMEOUT, to.send ?? m.TIMEOUT, to.receive ?? m.TIMEOUT);
    else c.settimeout(to);
    let res: [unknown, string | null];
    try {
      res = yield* c.connect(r.host, r.port);
    } catch (e) {
      if (e instanceof TlsHandshakeError) fail(e.message);
      throw e;
    }
    if (res[0] === null) fail(res[1]!);
  } catch (e) {
    c.close();
    throw e;
  }
  return c;
}

/** One exchange, then the redirects it leads to: LuaSocket's trequest and tredirect. */
function* trequest(m: HttpModule, reqt: HttpRequestParams): Op<HttpResult<1>> {
  let location: string | null = null;
  for (;;) {
    const r = adjustrequest(m, reqt);
    const c = yield* open(m, r);
    const to = r.timeout ?? m.TIMEOUT;
    const rto = typeof to === "object" ? (to.receive ?? m.TIMEOUT) : to;
    const x: Rx = { m, timeout: rto === null || rto === undefined || rto < 0 ? Infinity : rto };
    try {
      // The arguments were checked at the call; this guards what changed since (a redirect's
      // target, a headers object edited while the request ran).
      let head = `${r.method ?? "GET"} ${r.uri} HTTP/1.1`;
      if (BAD_CHARS.test(head)) fail("invalid request line: CR, LF or NUL in it");
      head += "\r\n";
      for (const [k, v] of Object.entries(r.headers)) {
        const l = `${canonic(k)}: ${v}`;
        if (BAD_CHARS.test(l)) fail(`invalid header '${k}': CR, LF or NUL in it`);
        head += l + "\r\n";
      }
      yield* send(c, head + "\r\n");
      if (r.source) yield* sendbody(c, r.headers, r.source);
      let [code, status] = yield* receivestatusline(c, x);
      if (code === null) {
        // HTTP/0.9: no status line nor headers, the body runs until the server closes.
        const snk = r.sink ?? (() => 1);
        if (yield* push(snk, status, null)) yield* untilclosed(c, snk);
        return [1, 200, null, null];
      }
      for (let interim = 0; code === 100; interim++) {
        if (interim >= m.MAXINTERIM) fail(`too many interim responses (over ${m.MAXINTERIM} '100 Continue'; http.MAXINTERIM)`);
        yield* receiveheaders(c, x, {});
        const next = yield* receivestatusline(c, x);
        if (next[0] === null) fail(next[1]);
        [code, status] = next;
      }
      const headers = yield* receiveheaders(c, x, {});
      const target = r.source ? null : shouldredirect(r, code, headers);
      if (target !== null) {
        location = headers.location!;
        reqt = {
          url: target,
          method: r.method === "HEAD" ? "HEAD" : undefined,
          source: reqt.source,
          sink: reqt.sink,
          headers: reqt.headers,
          proxy: reqt.proxy,
          maxredirects: reqt.maxredirects,
          nredirects: (reqt.nredirects ?? 0) + 1,
          create: r.create,
          timeout: reqt.timeout,
        };
        continue;
      }
      if (shouldreceivebody(r, code)) yield* receivebody(c, x, headers, r.sink ?? (() => 1));
      // A hint that a redirect happened (as LuaSocket's tredirect).
      if (location !== null && headers.location === undefined) headers.location = location;
      return [1, code, headers, status];
    } finally {
      c.close();
    }
  }
}

/** The op behind `http.request`. */
function* request(m: HttpModule, reqt: string | HttpRequestParams, body?: Data | null): Op<HttpResult<string | 1>> {
  if (typeof reqt === "string") {
    const [params, target] = parseRequest(m, reqt, body);
    const r = yield* request(m, params);
    if (r[0] === null) return r;
    return [target.join(""), r[1], r[2], r[3]];
  }
  if (!check.isTable(reqt)) check.fail("http.request", "reqt", "a URL string or a table of request parameters", reqt);
  checkParams(reqt);
  const r: HttpRequestParams = { ...reqt };
  r.create ??= getcreatefunc(m.copas, m, reqt);
  try {
    return yield* trequest(m, r);
  } catch (e) {
    if (e instanceof HttpFailure) return [null, e.message];
    throw e;
  }
}

/** Copas's parseRequest: the params of the simple form, and the array its body goes to. */
function checkSimple(url: unknown, body: unknown): void {
  if (BAD_CHARS.test(check.string("http.request", "url", url))) check.fail("http.request", "url", "a URL without CR, LF or NUL", url);
  if (body !== undefined && body !== null && typeof body !== "string" && !(body instanceof Uint8Array)) {
    check.fail("http.request", "body", "a string, a Uint8Array, null or undefined", body);
  }
}

function parseRequest(m: HttpModule, url: string, body?: Data | null): [HttpRequestParams, string[]] {
  checkSimple(url, body);
  const [sink, target] = boundedTable(m.MAXBODYSIZE, "http.MAXBODYSIZE");
  const params: HttpRequestParams = { url, sink: sink };
  if (body !== undefined && body !== null) {
    params.source = ltn12.source.string(body);
    params.headers = {
      "content-length": typeof body === "string" ? body.length : body.byteLength,
      "content-type": "application/x-www-form-urlencoded",
    };
    params.method = "POST";
  }
  return [params, target];
}

/**
 * `copas.http`: the HTTP/1.1 client, bound to a dispatcher.
 *
 * ```ts
 * copas.addthread(function* () {
 *   const [body, code, headers] = yield* copas.http.request("http://127.0.0.1:8080/");
 * });
 * ```
 */
export class HttpModule {
  /** The dispatcher requests run on. */
  readonly copas: Dispatcher;
  /** Seconds of each copas timeout (connect, send, receive) unless a request says otherwise. */
  TIMEOUT = 60;
  /** Default port of http. */
  PORT = 80;
  /** Default port of https. */
  SSLPORT = 443;
  /** The user-agent header sent. */
  USERAGENT = "LuaSocket 3.1.0";
  /** TLS defaults of https requests (LuaSec keys). */
  SSLPROTOCOL = "tlsv1_2";
  /** LuaSec options of https requests. */
  SSLOPTIONS: string | string[] = "all";
  /** "peer": the server's certificate and name are checked (Copas: "none", its bug #222). */
  SSLVERIFY: string | string[] = "peer";
  /**
   * Longest status, header, chunk-size or trailer line taken from a server, bytes, checked
   * while the line grows (past it: `[null, "header line too long (...)"]`, ...).
   */
  MAXLINE = MAXLINE;
  /** Most bytes of one header block (the headers, or the trailers): past it `[null, "oversized"]`. */
  MAXHEADERSIZE = MAXHEADERSIZE;
  /** Most `100 Continue` interim responses skipped before the final response. */
  MAXINTERIM = MAXINTERIM;
  /**
   * Most bytes of the body the simple form (`request(url)`) collects into its string (past it:
   * `[null, "body too large (...)"]`); a request with a `sink` streams and is not bounded here.
   * Infinity: up to the longest string JavaScript can hold.
   */
  MAXBODYSIZE = MAXBODYSIZE;

  /** @internal use `copas.http` */
  constructor(copas: Dispatcher) {
    this.copas = copas;
  }

  /**
   * Op: an HTTP request. Simple form: `request(url, body?)` (GET, or POST of `body` as
   * application/x-www-form-urlencoded) → `[body, code, headers, status]`. Generic form:
   * `request(params)` → `[1, code, headers, status]`, the body going to `params.sink`.
   * Failures: `[null, err]` ("connection refused", "timeout", "closed", ...).
   *
   * @lua `copas.http.request(url [, body])` → `body, code, headers, status`, or `copas.http.request(reqt)` → `1, code, headers, status`; `nil, err` on failure
   */
  request(url: string, body?: Data | null): Op<HttpResult<string>>;
  request(params: HttpRequestParams): Op<HttpResult<1>>;
  request(reqt: string | HttpRequestParams, body?: Data | null): Op<HttpResult<string | 1>> {
    if (typeof reqt !== "string" && !check.isTable(reqt)) {
      check.fail("http.request", "reqt", "a URL string or a table of request parameters", reqt);
    }
    if (typeof reqt === "string") checkSimple(reqt, body); // argument checks at the call
    else checkParams(reqt);
    checkModule(this);
    return request(this, reqt, body);
  }

  /**
   * Copas's parseRequest: the generic params of a simple request; the body goes to `params.target`.
   *
   * @lua `copas.http.parseRequest(u, b)`
   */
  parseRequest(
    url: string,
    body?: Data | null,
  ): HttpRequestParams & {
    /** Where the sink collects the body's chunks. */
    target: string[];
  } {
    const [p, target] = parseRequest(this, url, body);
    return Object.assign(p, { target });
  }

  /**
   * Copas's getcreatefunc: the default `create` of requests made with `params`.
   *
   * @lua `copas.http.getcreatefunc(params)`
   */
  getcreatefunc(params?: HttpRequestParams): (reqt: HttpRequest) => unknown {
    return getcreatefunc(this.copas, this, params);
  }
}

/** @internal `copas.http` of a dispatcher. */
export function makeHttpModule(d: Dispatcher): HttpModule {
  return new HttpModule(d);
}
