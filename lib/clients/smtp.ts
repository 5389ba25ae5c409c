// copas.smtp: LuaSocket's SMTP client (socket.smtp) on copas sockets, as Copas's
// copas/smtp.lua makes it: `send(mailt)` is an op, `message(mesgt)` builds a message source.
//
//   send     connect (copas timeouts of smtp.TIMEOUT), greeting "2..", EHLO, AUTH LOGIN or
//            PLAIN when user and password are given and the server offers one, MAIL FROM,
//            RCPT TO (each), DATA "3..", the source dot-stuffed, "\r\n.\r\n", QUIT
//   message  headers (date, x-mailer and mime-version added) and a body: a string, a source,
//            or multipart (parts, each a message table, with optional preamble/epilogue)
//
// Deviations: the multipart boundary comes from the dispatcher's clock and a counter (never
// a random number generator), and the date from the dispatcher's clock.

import { canonic } from "./headers.js";
import type { Dispatcher } from "../core/dispatcher.js";
import { pull, type OpSource } from "./pull.js";
import * as tp from "./tp.js";
import * as check from "../common/check.js";
import type { Op } from "../common/types.js";

/** A mail to send (LuaSocket's mailt). */
export interface SmtpMail {
  /** The envelope sender, e.g. "<me@example.com>". */
  from: string;
  /** One recipient or several, e.g. "<you@example.com>". */
  rcpt: string | string[];
  /** The message (see `smtp.message`), dot-stuffed on the way. */
  source?: OpSource;
  /** The server (default `smtp.SERVER`, "localhost"). */
  server?: string;
  /** The port (default `smtp.PORT`, 25). */
  port?: number;
  /** Name given in EHLO (default `smtp.DOMAIN`). */
  domain?: string;
  /** Authentication (AUTH LOGIN or PLAIN, whichever the server offers). */
  user?: string;
  /** Authentication: the password. */
  password?: string;
  /** Makes the socket (default: copas.wrap(copas.socket.tcp())). */
  create?: () => unknown;
}

/** A message part: headers and a body (a string, a source, or parts). */
export interface SmtpMessage {
  /**
   * Header fields (lowercase names); date, mime-version and x-mailer are added unless given.
   * No CR, LF or NUL in a name or value (a TypeError naming the header).
   */
  headers?: Record<string, string | number>;
  /** A string, a source, a multipart body, or a list of parts. */
  body?: string | OpSourceSync | SmtpMultipart | SmtpMessage[];
  /** Time zone of the date header (default `smtp.ZONE`). */
  zone?: string;
}

/** A plain source (message bodies are pulled without waiting). */
export type OpSourceSync = () => unknown;

/** A multipart body. */
export interface SmtpMultipart {
  /** Text before the first part. */
  preamble?: string;
  /** The parts, each a message of its own. */
  parts: SmtpMessage[];
  /** Text after the last part. */
  epilogue?: string;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** `os.date("!%a, %d %b %Y %H:%M:%S ", t)` */
function rfcDate(t: number): string {
  const d = new Date(t * 1000);
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} `;
}

/** `os.date("%d%m%Y%H%M%S", t)` (UTC). */
function stamp(t: number): string {
  const d = new Date(t * 1000);
  return `${pad(d.getUTCDate())}${pad(d.getUTCMonth() + 1)}${d.getUTCFullYear()}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/**
 * mime.dot: doubles a "." that starts a line (after CRLF, or at the very start: state 2).
 * Gives the stuffed chunk and the state to carry to the next one.
 */
function dot(state: number, chunk: string): [string, number] {
  let out = "";
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i]!;
    out += c;
    if (c === "\r") state = 1;
    else if (c === "\n") state = state === 1 ? 2 : 0;
    else {
      if (c === "." && state === 2) out += ".";
      state = 0;
    }
  }
  return [out, state];
}

/** Header names lower-cased, as LuaSocket's lower_headers (at every level of a message). */
function lowerHeaders(headers: Record<string, string | number> | undefined): Record<string, string> {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) lower[k.toLowerCase()] = String(v);
  return lower;
}

/** The header block, names as LuaSocket writes them ("From:", "MIME-Version:", "x-custom:"). */
function headerBlock(headers: Record<string, string | number>): string {
  let h = "";
  for (const [k, v] of Object.entries(headers)) h += `${canonic(k)}: ${v}\r\n`;
  return h + "\r\n";
}

/** What a message source yields: chunks, or `[null, err]` from a body source. */
type Piece = string | [null, string];

function* messageParts(m: SmtpModule, mesgt: SmtpMessage): Generator<Piece, void, unknown> {
  const body = mesgt.body;
  const headers = lowerHeaders(mesgt.headers);
  if (body !== null && typeof body === "object") {
    const parts = Array.isArray(body) ? body : body.parts;
    const mp: Partial<SmtpMultipart> = Array.isArray(body) ? {} : body;
    const bd = m._boundary();
    headers["content-type"] = `${headers["content-type"] ?? "multipart/mixed"}; boundary="${bd}"`;
    yield headerBlock(headers);
    if (mp.preamble !== undefined) {
      yield mp.preamble;
      yield "\r\n";
    }
    for (const part of parts) {
      yield `\r\n--${bd}\r\n`;
      yield* messageParts(m, part);
    }
    yield `\r\n--${bd}--\r\n\r\n`;
    if (mp.epilogue !== undefined) {
      yield mp.epilogue;
      yield "\r\n";
    }
    return;
  }
  headers["content-type"] ??= 'text/plain; charset="iso-8859-1"';
  yield headerBlock(headers);
  if (typeof body === "function") {
    for (;;) {
      const r = body();
      const [chunk, err] = Array.isArray(r) ? (r as unknown[]) : [r, null];
      if (err !== null && err !== undefined) yield [null, check.tostring(err)];
      else if (chunk !== null && chunk !== undefined) yield check.tostring(chunk);
      else break;
    }
    return;
  }
  if (body !== undefined && body !== null) yield String(body);
}

/** What may not appear in a header name or value: it would end the line (header injection). */
const BAD_CHARS = /[\r\n\0]/;

function checkHeaders(h: unknown, arg: string): void {
  if (h === undefined || h === null) return;
  if (!check.isTable(h)) check.fail("smtp.message", arg, "an object of header names to values", h);
  for (const [k, v] of Object.entries(h)) {
    const name = `${arg}[${JSON.stringify(k)}]`;
    if (k === "" || /[\r\n\0:]/.test(k)) check.fail("smtp.message", name, "a header name: not empty, without CR, LF, NUL or ':'", k);
    if (!(typeof v === "string" || (typeof v === "number" && Number.isFinite(v)))) check.fail("smtp.message", name, "a string or a finite number", v);
    if (typeof v === "string" && BAD_CHARS.test(v)) check.fail("smtp.message", name, "a header value without CR, LF or NUL", v);
  }
}

function checkMessage(mesgt: unknown, arg: string): void {
  if (!check.isTable(mesgt)) check.fail("smtp.message", arg, "a message table ({ headers?, body? })", mesgt);
  checkHeaders((mesgt as SmtpMessage).headers, `${arg}.headers`);
  const zone = (mesgt as SmtpMessage).zone;
  if (zone !== undefined && zone !== null && (typeof zone !== "string" || BAD_CHARS.test(zone))) check.fail("smtp.message", `${arg}.zone`, "a string without CR, LF or NUL", zone);
  const b = (mesgt as SmtpMessage).body;
  if (b === undefined || b === null || typeof b === "string" || typeof b === "function") return;
  const parts = Array.isArray(b) ? b : b.parts;
  if (!Array.isArray(parts)) check.fail("smtp.message", `${arg}.body`, "a string, a source function, or parts (an array, or { parts, preamble?, epilogue? })", b);
  parts.forEach((p, i) => checkMessage(p, `${arg}.body[${i}]`));
}

/** The op behind `smtp.send`. */
function* send(m: SmtpModule, mailt: SmtpMail): Op<[1, null] | [null, string]> {
  const d = m.copas;
  let c;
  try {
    c = tp.created(d, mailt.create ? mailt.create() : d.wrap(d.socket.tcp()), "smtp.send", "mailt.create");
    yield* tp.connect(c, mailt.server ?? m.SERVER, mailt.port ?? m.PORT, m.TIMEOUT);
  } catch (e) {
    if (e instanceof tp.TpFailure) return [null, e.message];
    throw e;
  }
  try {
    yield* tp.check(c, "2..", m);
    yield* tp.command(c, "EHLO", mailt.domain ?? m.DOMAIN);
    const [, ext] = yield* tp.check(c, "2..", m);
    if (mailt.user !== undefined && mailt.user !== null && mailt.password !== undefined && mailt.password !== null) {
      const b64 = (s: string) => Buffer.from(s, "latin1").toString("base64");
      if (/AUTH[^\n]+LOGIN/.test(ext)) {
        yield* tp.command(c, "AUTH", "LOGIN");
        yield* tp.check(c, "3..", m);
        // (sent as lines, not commands: base64 must not be upper-cased)
        yield* tp.send(c, b64(mailt.user) + "\r\n");
        yield* tp.check(c, "3..", m);
        yield* tp.send(c, b64(mailt.password) + "\r\n");
        yield* tp.check(c, "2..", m);
      } else if (/AUTH[^\n]+PLAIN/.test(ext)) {
        yield* tp.command(c, "AUTH", "PLAIN " + b64(`\0${mailt.user}\0${mailt.password}`));
        yield* tp.check(c, "2..", m);
      } else tp.fail("authentication not supported");
    }
    yield* tp.command(c, "MAIL", "FROM:" + mailt.from);
    yield* tp.check(c, "2..", m);
    for (const to of typeof mailt.rcpt === "string" ? [mailt.rcpt] : mailt.rcpt) {
      yield* tp.command(c, "RCPT", "TO:" + to);
      yield* tp.check(c, "2..", m);
    }
    yield* tp.command(c, "DATA");
    yield* tp.check(c, "3..", m);
    if (mailt.source) {
      let state = 2;
      for (;;) {
        const [chunk, err] = yield* pull(mailt.source);
        if (chunk === null) {
          if (err !== null) tp.fail(err);
          break;
        }
        let out: string;
        [out, state] = dot(state, chunk);
        if (out !== "") yield* tp.send(c, out);
      }
    }
    yield* tp.send(c, "\r\n.\r\n");
    yield* tp.check(c, "2..", m);
    yield* tp.command(c, "QUIT");
    yield* tp.check(c, "2..", m);
  } catch (e) {
    if (e instanceof tp.TpFailure) return [null, e.message];
    throw e;
  } finally {
    c.close();
  }
  return [1, null];
}

/**
 * `copas.smtp`: LuaSocket's SMTP client on this dispatcher. Set `SERVER`, `PORT`, `TIMEOUT`,
 * `DOMAIN`, `ZONE` to change the defaults.
 *
 * ```ts
 * const source = copas.smtp.message({ headers: { to: "<you@example.com>", subject: "hi" }, body: "Hello!" });
 * const [ok, err] = yield* copas.smtp.send({ from: "<me@example.com>", rcpt: "<you@example.com>", source });
 * ```
 */
export class SmtpModule {
  /** The dispatcher mails are sent on. */
  readonly copas: Dispatcher;
  /** Copas timeouts (seconds) of the connection. */
  TIMEOUT = 60;
  /** The default server. */
  SERVER = "localhost";
  /** The default port. */
  PORT = 25;
  /** Name given in EHLO. */
  DOMAIN = process.env.SERVER_NAME ?? "localhost";
  /** Time zone of the date header. */
  ZONE = "-0000";
  /** The x-mailer header. */
  USERAGENT = "LuaSocket 3.1.0";
  /** Longest reply line taken from the server, bytes (past it: `[null, "reply line too long ..."]`). */
  MAXLINE = tp.MAXLINE;
  /** Most bytes of one (multi-line) reply. */
  MAXREPLYSIZE = tp.MAXREPLYSIZE;
  /** @internal */
  readonly _name = "smtp";
  #seq = 0;

  /** @internal use `copas.smtp` */
  constructor(copas: Dispatcher) {
    this.copas = copas;
  }

  /**
   * Op: sends a mail: `[1, null]`, or `[null, err]` (a server's reply text, or a socket error).
   *
   * @lua `copas.smtp.send(mailt)` → `1` or `nil, err`
   */
  send(mailt: SmtpMail): Op<[1, null] | [null, string]> {
    if (!check.isTable(mailt)) check.fail("smtp.send", "mailt", "a mail table ({ from, rcpt, source, ... })", mailt);
    check.string("smtp.send", "mailt.from", mailt.from);
    const r = mailt.rcpt;
    if (typeof r !== "string" && !(Array.isArray(r) && r.every((x) => typeof x === "string"))) {
      check.fail("smtp.send", "mailt.rcpt", "a string or an array of strings", r);
    }
    if (mailt.source !== undefined && mailt.source !== null) check.func("smtp.send", "mailt.source", mailt.source);
    if (mailt.create !== undefined && mailt.create !== null) check.func("smtp.send", "mailt.create", mailt.create);
    for (const k of ["server", "domain", "user", "password"] as const) {
      if (mailt[k] !== undefined && mailt[k] !== null) check.string("smtp.send", `mailt.${k}`, mailt[k]);
    }
    if (mailt.port !== undefined && mailt.port !== null) check.port("smtp.send", "mailt.port", mailt.port);
    check.string("smtp.send", "smtp.SERVER", this.SERVER);
    check.port("smtp.send", "smtp.PORT", this.PORT);
    check.string("smtp.send", "smtp.DOMAIN", this.DOMAIN);
    check.bound("smtp.send", "smtp.MAXLINE", this.MAXLINE);
    check.bound("smtp.send", "smtp.MAXREPLYSIZE", this.MAXREPLYSIZE);
    check.optSeconds("smtp.send", "smtp.TIMEOUT", this.TIMEOUT);
    return send(this, mailt);
  }

  /**
   * A source giving the message `mesgt` (headers, then the body). Adds `date` and `x-mailer`
   * unless given, and `mime-version: 1.0` always. Header names are written as LuaSocket writes
   * them: the ones it knows capitalized ("From:", "MIME-Version:", "Content-Type:"), others in
   * lower case.
   *
   * @lua `copas.smtp.message(mesgt)`
   */
  message(mesgt: SmtpMessage): () => string | null | [null, string] {
    checkMessage(mesgt, "mesgt");
    if (typeof this.USERAGENT !== "string" || BAD_CHARS.test(this.USERAGENT)) check.fail("smtp.message", "smtp.USERAGENT", "a string without CR, LF or NUL", this.USERAGENT);
    const lower = lowerHeaders(mesgt.headers);
    lower.date ??= rfcDate(this.copas.gettime()) + (mesgt.zone ?? this.ZONE);
    lower["x-mailer"] ??= this.USERAGENT;
    lower["mime-version"] = "1.0";
    const it = messageParts(this, { ...mesgt, headers: lower });
    let done = false;
    return () => {
      if (done) return null;
      try {
        const r = it.next();
        if (!r.done) return r.value;
      } catch (e) {
        done = true;
        return [null, e instanceof Error ? e.message : String(e)];
      }
      done = true;
      return null;
    };
  }

  /** @internal a new multipart boundary (the clock and a counter, as LuaSocket's but for the random part). */
  _boundary(): string {
    const n = ++this.#seq;
    return `${stamp(this.copas.gettime())}${pad((n * 7919) % 100000, 5)}==${pad(n, 5)}`;
  }
}
