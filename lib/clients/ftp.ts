// copas.ftp: LuaSocket's FTP client (socket.ftp) on copas sockets, as Copas's copas/ftp.lua
// makes it. Transfers are passive, as in LuaSocket 3.1: EPSV gives the data port, on the control
// connection's peer address, and the client connects to it. Commands go out in upper case.
//
//   get      greet, login (USER, then PASS on 331), TYPE when asked, EPSV, connect the data
//            connection, RETR <path>, read it until the server closes into the sink, "2.."
//   put      the same with STOR, sending the source, then closing the data connection
//   command  greet, login, one command (its reply checked when `check` is given), QUIT
//
// Fixed Copas bugs: its string forms (`get(url)`, `put(url, body)`) called a parseRequest that
// returned nothing, its put selected on the control connection (tp:getfd, which a copas socket
// lacks), and its data connection was a blocking LuaSocket one; here all are as in LuaSocket
// and the data connection is a copas socket too.

import type { Dispatcher } from "../core/dispatcher.js";
import { parseUrl } from "./url.js";
import { ltn12 } from "./ltn12.js";
import { boundedTable, pull, push, type OpSink, type OpSource } from "./pull.js";
import * as tp from "./tp.js";
import * as check from "../common/check.js";
import type { Op } from "../common/types.js";
import type { CopasSocket } from "../core/wrap.js";

/** A transfer or command request (LuaSocket's gett/putt/cmdt); url parts override the url's. */
export interface FtpParams {
  /** The URL (`ftp://user:password@host:port/path;type=i`). */
  url?: string;
  /** The server. */
  host?: string;
  /** The port (default `ftp.PORT`, 21). */
  port?: number;
  /** The user (default `ftp.USER`). */
  user?: string;
  /** The password (default `ftp.PASSWORD`). */
  password?: string;
  /** The file, as in the url ("/dir/file"); `argument` overrides the argument sent. */
  path?: string;
  /** The argument sent with the command (default: the path). */
  argument?: string;
  /** The transfer command (default "retr" for get, "stor" for put) or the command to send. */
  command?: string;
  /** "a" (ASCII) or "i" (binary): sends TYPE first. */
  type?: string;
  /** get: where the file goes. put: where it comes from. */
  sink?: OpSink;
  /** put: where the file comes from. */
  source?: OpSource;
  /** command: the reply code pattern expected ("2..", "250", or a list). */
  check?: string | number | (string | number)[];
  /** Makes the control socket (default: copas.wrap(copas.socket.tcp())). */
  create?: () => unknown;
}

function override(t: FtpParams): FtpParams {
  if (t.url === undefined || t.url === null) return t;
  const u = parseUrl(t.url) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...u, port: u.port === undefined || u.port === "" ? undefined : Number(u.port) };
  for (const [k, v] of Object.entries(t)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

/** LuaSocket's parse of the string forms: scheme ftp, a host, ";type=a|i". */
function parse(url: string): FtpParams {
  const t = parseUrl(url);
  const scheme = t.scheme ?? "ftp";
  if (scheme !== "ftp") tp.fail(`wrong scheme '${scheme}'`);
  if (t.host === undefined || t.host === "") tp.fail("missing hostname");
  const r: FtpParams = { url, host: t.host, path: t.path ?? "/" };
  if (t.port !== undefined && t.port !== "") r.port = Number(t.port);
  if (t.user !== undefined) r.user = decodeURIComponent(t.user);
  if (t.password !== undefined) r.password = decodeURIComponent(t.password);
  if (t.params !== undefined) {
    const m = /^type=(.)$/.exec(t.params);
    const type = m ? m[1]! : "nil";
    if (type !== "a" && type !== "i") tp.fail(`invalid type '${type}'`);
    r.type = type;
  }
  return r;
}

/** `parse`, with its failure as the message. */
function parsed(url: string): FtpParams | string {
  try {
    return parse(url);
  } catch (e) {
    if (e instanceof tp.TpFailure) return e.message;
    throw e;
  }
}

/** A session: the control connection and, during a transfer, the data one. */
interface Session {
  m: FtpModule;
  c: CopasSocket;
  data: CopasSocket | null;
  pasv: [string, number] | null;
}

function* open(m: FtpModule, t: FtpParams): Op<Session> {
  if (t.host === undefined || t.host === null || t.host === "") tp.fail("missing hostname");
  const d = m.copas;
  const c = tp.created(d, t.create ? t.create() : d.wrap(d.socket.tcp()), "ftp", "params.create");
  yield* tp.connect(c, t.host, t.port ?? m.PORT, m.TIMEOUT);
  return { m, c, data: null, pasv: null };
}

function close(s: Session): void {
  if (s.data !== null) s.data.close();
  s.data = null;
  s.c.close();
}

function* greet(s: Session): Op<void> {
  const [code] = yield* tp.check(s.c, ["1..", "2.."], s.m);
  if (code < 200) yield* tp.check(s.c, "2..", s.m);
}

function* login(s: Session, user?: string, password?: string): Op<void> {
  yield* tp.command(s.c, "user", user ?? s.m.USER);
  const [code] = yield* tp.check(s.c, ["2..", "331"], s.m);
  if (code === 331) {
    yield* tp.command(s.c, "pass", password ?? s.m.PASSWORD);
    yield* tp.check(s.c, "2..", s.m);
  }
}

/** EPSV (LuaSocket 3.1's get and put): the data port on the control connection's peer. */
function* epsv(s: Session): Op<void> {
  yield* tp.command(s.c, "epsv");
  const [, reply] = yield* tp.check(s.c, "229", s.m);
  const m = /\((.)(.*?)\1(.*?)\1(.*?)\1\)/.exec(reply);
  const port = m === null ? NaN : Number(m[4]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) tp.fail("invalid epsv response");
  const [ip] = s.c.getpeername();
  if (typeof ip !== "string") tp.fail("invalid epsv response");
  s.pasv = [ip, port];
}

function* pasvconnect(s: Session): Op<CopasSocket> {
  if (s.pasv === null) tp.fail("need port or pasv first");
  const d = s.m.copas;
  const data = d.wrap(d.socket.tcp());
  s.data = data;
  yield* tp.connect(data, s.pasv[0], s.pasv[1], s.m.TIMEOUT);
  return data;
}

function argumentOf(t: FtpParams): string | null {
  if (t.argument !== undefined && t.argument !== null) return t.argument;
  const a = (t.path ?? "").replace(/^[/\\]/, "");
  if (a === "") return null;
  try {
    return decodeURIComponent(a);
  } catch {
    return a;
  }
}

/** Reads the data connection until the server closes it, into the sink. */
function* receive(s: Session, t: FtpParams): Op<void> {
  const data = yield* pasvconnect(s);
  yield* tp.command(s.c, t.command ?? "retr", argumentOf(t));
  const [code] = yield* tp.check(s.c, ["1..", "2.."], s.m);
  const snk: OpSink = t.sink ?? (() => 1);
  for (;;) {
    const [chunk, err, partial] = yield* data.receive(8192);
    if (chunk === null && err !== "closed") {
      yield* push(snk, null, err);
      tp.fail(err);
    }
    const piece = chunk ?? partial;
    if (piece !== null && piece !== "") {
      const [ok, e] = yield* push(snk, piece, null);
      if (!ok) {
        if (e !== null) tp.fail(e);
        break;
      }
    }
    if (chunk === null) {
      const [ok, e] = yield* push(snk, null, null);
      if (!ok && e !== null) tp.fail(e);
      break;
    }
  }
  if (code < 200) yield* tp.check(s.c, "2..", s.m);
  data.close();
  s.data = null;
}

/** Sends the source over the data connection, closes it: the bytes sent. */
function* send(s: Session, t: FtpParams): Op<number> {
  const data = yield* pasvconnect(s);
  yield* tp.command(s.c, t.command ?? "stor", argumentOf(t));
  const [code] = yield* tp.check(s.c, ["2..", "1.."], s.m);
  let sent = 0;
  if (t.source) {
    for (;;) {
      const [chunk, err] = yield* pull(t.source);
      if (chunk === null) {
        if (err !== null) tp.fail(err);
        break;
      }
      if (chunk !== "") yield* tp.send(data, chunk);
      sent += chunk.length;
    }
  }
  data.close();
  s.data = null;
  if (code < 200) yield* tp.check(s.c, "2..", s.m);
  return sent;
}

function* quit(s: Session): Op<void> {
  yield* tp.command(s.c, "quit");
  yield* tp.check(s.c, "2..", s.m);
}

/** Runs `body` on an open session: greet, login, TYPE; then QUIT. Failures: `[null, err]`. */
function* session<T>(m: FtpModule, t: FtpParams, body: (s: Session, t: FtpParams) => Op<T>): Op<[T, null] | [null, string]> {
  let s: Session | null = null;
  try {
    t = override(t);
    s = yield* open(m, t);
    yield* greet(s);
    yield* login(s, t.user, t.password);
    if (t.type !== undefined && t.type !== null) {
      yield* tp.command(s.c, "type", t.type);
      yield* tp.check(s.c, "200", s.m);
    }
    const r = yield* body(s, t);
    yield* quit(s);
    return [r, null];
  } catch (e) {
    if (e instanceof tp.TpFailure) return [null, e.message];
    throw e;
  } finally {
    if (s !== null) close(s);
  }
}

function* getBody(s: Session, t: FtpParams): Op<1> {
  yield* epsv(s);
  yield* receive(s, t);
  return 1;
}

function* putBody(s: Session, t: FtpParams): Op<number> {
  yield* epsv(s);
  return yield* send(s, t);
}

function* commandBody(s: Session, t: FtpParams): Op<1> {
  yield* tp.command(s.c, t.command!, t.argument);
  if (t.check !== undefined && t.check !== null) {
    const pats = (Array.isArray(t.check) ? t.check : [t.check]).map(String);
    yield* tp.check(s.c, pats, s.m);
  }
  return 1;
}

function* get(m: FtpModule, gett: string | FtpParams): Op<[string | 1, null] | [null, string]> {
  if (typeof gett !== "string") return yield* session(m, gett, getBody);
  const t = parsed(gett);
  if (typeof t === "string") return [null, t];
  const [sink, parts] = boundedTable(m.MAXBODYSIZE, "ftp.MAXBODYSIZE");
  t.sink = sink;
  const r = yield* session(m, t, getBody);
  return r[0] === null ? r : [parts.join(""), null];
}

function* put(m: FtpModule, putt: string | FtpParams, body?: string | null): Op<[number, null] | [null, string]> {
  if (typeof putt !== "string") return yield* session(m, putt, putBody);
  const t = parsed(putt);
  if (typeof t === "string") return [null, t];
  t.source = ltn12.source.string(body ?? "");
  return yield* session(m, t, putBody);
}

/** What may not appear in a command line: it would end it (command injection). */
const BAD_CHARS = /[\r\n\0]/;

/** The module's settings, as a request would use them. */
function checkModule(fn: string, m: FtpModule): void {
  check.bound(fn, "ftp.MAXLINE", m.MAXLINE);
  check.bound(fn, "ftp.MAXREPLYSIZE", m.MAXREPLYSIZE);
  if (m.MAXBODYSIZE !== Infinity) check.bound(fn, "ftp.MAXBODYSIZE", m.MAXBODYSIZE, 0);
  check.optSeconds(fn, "ftp.TIMEOUT", m.TIMEOUT);
  check.port(fn, "ftp.PORT", m.PORT);
  for (const k of ["USER", "PASSWORD"] as const) {
    if (typeof m[k] !== "string" || BAD_CHARS.test(m[k])) check.fail(fn, `ftp.${k}`, "a string without CR, LF or NUL", m[k]);
  }
}

function checkUrl(fn: string, url: string): void {
  if (BAD_CHARS.test(url)) check.fail(fn, "url", "a URL without CR, LF or NUL", url);
}

function checkParams(fn: string, t: unknown): asserts t is FtpParams {
  if (!check.isTable(t)) check.fail(fn, "params", "a URL string or a table of request parameters", t);
  const p = t as FtpParams;
  // Each goes onto a command line (or into the url that does): no CR, LF or NUL.
  for (const k of ["url", "host", "path", "argument", "command", "type", "user", "password"] as const) {
    const v = p[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") check.fail(fn, `params.${k}`, "a string", v);
    if (BAD_CHARS.test(v)) check.fail(fn, `params.${k}`, "a string without CR, LF or NUL", v);
  }
  if (p.port !== undefined && p.port !== null) check.port(fn, "params.port", p.port);
  const ck = p.check;
  const isPat = (x: unknown) => typeof x === "string" || (typeof x === "number" && Number.isInteger(x));
  if (ck !== undefined && ck !== null && !isPat(ck) && !(Array.isArray(ck) && ck.every(isPat))) {
    check.fail(fn, "params.check", 'a reply code pattern ("2..", 250) or an array of them', ck);
  }
  for (const k of ["sink", "source", "create"] as const) {
    if (p[k] !== undefined && p[k] !== null && typeof p[k] !== "function") check.fail(fn, `params.${k}`, "a function", p[k]);
  }
}

/**
 * `copas.ftp`: LuaSocket's FTP client on this dispatcher (passive transfers). Set `TIMEOUT`,
 * `PORT`, `USER`, `PASSWORD` to change the defaults.
 *
 * ```ts
 * const [text, err] = yield* copas.ftp.get("ftp://127.0.0.1/pub/readme.txt");
 * const [bytes] = yield* copas.ftp.put("ftp://user:pw@127.0.0.1/upload.txt;type=i", "contents");
 * ```
 */
export class FtpModule {
  /** The dispatcher transfers run on. */
  readonly copas: Dispatcher;
  /** Copas timeouts (seconds) of the connections. */
  TIMEOUT = 60;
  /** The default port. */
  PORT = 21;
  /** Login used when the url has none (anonymous FTP). */
  USER = "ftp";
  /** Password used when the url has none. */
  PASSWORD = "anonymous@anonymous.org";
  /** Longest reply line taken from the server, bytes (past it: `[null, "reply line too long ..."]`). */
  MAXLINE = tp.MAXLINE;
  /** Most bytes of one (multi-line) reply. */
  MAXREPLYSIZE = tp.MAXREPLYSIZE;
  /**
   * Most bytes `get(url)` collects into its string (64 MiB; past it `[null, "body too large
   * (...)"]`); `get(params)` with a sink streams and is not bounded here. Infinity: up to the
   * longest string JavaScript can hold.
   */
  MAXBODYSIZE = 64 * 1024 * 1024;
  /** @internal */
  readonly _name = "ftp";

  /** @internal use `copas.ftp` */
  constructor(copas: Dispatcher) {
    this.copas = copas;
  }

  /**
   * Op: downloads. `get(url)` → `[contents, null]`; `get(params)` → `[1, null]`, the file going
   * to `params.sink`. Failures: `[null, err]` (a server's reply, or a socket error).
   *
   * @lua `copas.ftp.get(url)` → `contents`, or `copas.ftp.get(gett)` → `1`; `nil, err` on failure
   */
  get(url: string): Op<[string, null] | [null, string]>;
  get(params: FtpParams): Op<[1, null] | [null, string]>;
  get(gett: string | FtpParams): Op<[string | 1, null] | [null, string]> {
    checkModule("ftp.get", this);
    if (typeof gett !== "string") checkParams("ftp.get", gett);
    else checkUrl("ftp.get", gett);
    return get(this, gett);
  }

  /**
   * Op: uploads. `put(url, body)` or `put(params)` (from `params.source`) → `[bytesSent, null]` or `[null, err]`.
   *
   * @lua `copas.ftp.put(url, content)` or `copas.ftp.put(putt)` → `bytes` or `nil, err`
   */
  put(putt: string | FtpParams, body?: string | null): Op<[number, null] | [null, string]> {
    checkModule("ftp.put", this);
    if (typeof putt !== "string") checkParams("ftp.put", putt);
    else {
      checkUrl("ftp.put", putt);
      if (body !== undefined && body !== null && typeof body !== "string") check.fail("ftp.put", "body", "a string, null or undefined", body);
    }
    return put(this, putt, body);
  }

  /**
   * Op: logs in, sends `command argument`, checks the reply against `check` if given, quits: `[1, null]` or `[null, err]`.
   *
   * @lua `copas.ftp.command(cmdt)`
   */
  command(cmdt: FtpParams): Op<[1, null] | [null, string]> {
    checkModule("ftp.command", this);
    checkParams("ftp.command", cmdt);
    if (typeof cmdt.command !== "string") check.fail("ftp.command", "params.command", "a string", cmdt.command);
    return session(this, cmdt, commandBody);
  }
}
