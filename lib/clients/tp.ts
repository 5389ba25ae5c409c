// LuaSocket's socket.tp, the command/reply protocol shared by SMTP and FTP, as ops on a copas
// socket: `check` reads one reply ("250 ok", or a multi-line "250-..." block ending with the
// same code and a space) and matches its code against a pattern such as "2..".
//
// Failures are thrown as TpFailure (LuaSocket's socket.try) and turned into `[null, err]` by
// the client's public op; the socket is closed on the way out.

import { CopasSocket } from "../core/wrap.js";
import type { Op } from "../common/types.js";
import { fail as failArg } from "../common/check.js";

/** A protocol failure: the client's op returns `[null, message]`. */
export class TpFailure extends Error {}

export function fail(msg: string): never {
  throw new TpFailure(msg);
}

/** Most lines of one multi-line reply (bounds what a server can make the client hold). */
const MAX_REPLY_LINES = 10000;

/**
 * Default longest line the clients take from a server, in bytes: an HTTP status, header,
 * chunk-size or trailer line, an SMTP or FTP reply line (`http.MAXLINE`, `smtp.MAXLINE`,
 * `ftp.MAXLINE`).
 */
export const MAXLINE = 65536;

/** Default most bytes of one SMTP or FTP reply, all its lines (`smtp.MAXREPLYSIZE`, `ftp.MAXREPLYSIZE`). */
export const MAXREPLYSIZE = 1048576;

/** The bounds of a command/reply client (the SmtpModule and FtpModule fields). */
export interface TpLimits {
  MAXLINE: number;
  MAXREPLYSIZE: number;
  /** Seconds of the copas timeouts (a reply line as a whole is bounded by it too). */
  TIMEOUT: number | null;
  /** @internal "smtp" or "ftp", to name the setting in an error. */
  readonly _name: string;
}

/**
 * Op: one line, as `receive("*l")` gives it ("\r" dropped, "\n" removed), of at most `max`
 * bytes (after `prefix`, which counts). The bound is checked while the line grows, not once it
 * ended: the line is assembled from partial receives, each no more than what the socket had
 * queued (its receive buffer bound), so an endless line costs at most `max` plus one buffer.
 * Nothing past the line's end is read. Fails with "<what> too long (over <max> bytes; <setting>)",
 * or with the receive's error ("closed", "timeout", ...).
 *
 * Each partial receive waits at most the socket's receive timeout; `timeout` (the same seconds)
 * also bounds the line as a whole, as one `receive("*l")` did: a server trickling bytes gets
 * "timeout" once a wait ends past it (so within twice `timeout`).
 */
export function* line(c: CopasSocket, max: number, what: string, setting: string, prefix = "", timeout = Infinity): Op<string> {
  let parts: string[] | null = null;
  let n = prefix.length;
  const timed = timeout > 0 && timeout !== Infinity;
  const t0 = timed ? c.copas.gettime() : 0;
  for (;;) {
    const [l, err, part] = yield* c.receivepartial("*l");
    if (l !== null) {
      n += l.length;
      if (n > max) fail(`${what} too long (over ${max} bytes; ${setting})`);
      if (parts === null) return prefix === "" ? l : prefix + l;
      parts.push(l);
      return parts.join("");
    }
    // A partial result ("timeout", "wantread") that grew: the line goes on.
    if (part === null || part === "" || (err !== "timeout" && err !== "wantread" && err !== "wantwrite")) fail(err);
    n += part.length;
    if (n > max) fail(`${what} too long (over ${max} bytes; ${setting})`);
    if (timed && c.copas.gettime() - t0 >= timeout) fail("timeout");
    if (parts === null) parts = prefix === "" ? [part] : [prefix, part];
    else parts.push(part);
  }
}

/** One reply: `[code, text]` (lines joined with "\n"). */
export function* getReply(c: CopasSocket, lim: TpLimits): Op<[string, string]> {
  const setting = lim._name;
  const to = lim.TIMEOUT ?? Infinity;
  const first = yield* line(c, lim.MAXLINE, "reply line", `${setting}.MAXLINE`, "", to);
  const m = /^(\d\d\d)(.?)/.exec(first);
  if (m === null) fail("invalid server reply");
  const code = m[1]!;
  if (m[2] !== "-") return [code, first];
  const lines = [first];
  let size = first.length;
  for (let n = 0; ; n++) {
    const next = yield* line(c, lim.MAXLINE, "reply line", `${setting}.MAXLINE`, "", to);
    if (n >= MAX_REPLY_LINES) fail("invalid server reply");
    size += next.length + 1;
    if (size > lim.MAXREPLYSIZE) fail(`reply too long (over ${lim.MAXREPLYSIZE} bytes; ${setting}.MAXREPLYSIZE)`);
    lines.push(next);
    const m2 = /^(\d\d\d)(.?)/.exec(next);
    if (m2 !== null && m2[1] === code && m2[2] === " ") break;
  }
  return [code, lines.join("\n")];
}

/**
 * Reads a reply and checks its code against `ok` (a pattern like "2.." or a list of them):
 * `[code, reply]`; a reply that does not match fails with its text.
 */
export function* check(c: CopasSocket, ok: string | string[], lim: TpLimits): Op<[number, string]> {
  const [code, reply] = yield* getReply(c, lim);
  const pats = typeof ok === "string" ? [ok] : ok;
  for (const p of pats) if (new RegExp(p).test(code)) return [Number(code), reply];
  return fail(reply);
}

/**
 * Sends `cmd arg\r\n` (or `cmd\r\n`). A command or argument holding CR or LF (say, from an
 * unescaped URL path) fails instead: it would smuggle in a second command; so does NUL, which a
 * server in C may take for the end of the line.
 */
/** Sends "CMD arg": the command in upper case, as LuaSocket's tp:command. */
export function* command(c: CopasSocket, cmd: string, arg?: string | null): Op<void> {
  if (/[\r\n]/.test(cmd) || (typeof arg === "string" && /[\r\n]/.test(arg))) fail("invalid command: CR or LF in it");
  if (cmd.includes("\0") || (typeof arg === "string" && arg.includes("\0"))) fail("invalid command: NUL in it");
  cmd = cmd.toUpperCase();
  yield* send(c, arg === undefined || arg === null ? `${cmd}\r\n` : `${cmd} ${arg}\r\n`);
}

export function* send(c: CopasSocket, data: string): Op<void> {
  const [ok, err] = yield* c.send(data);
  if (ok === null) fail(err);
}

/**
 * `create()` of a client: a copas socket, or fails with the error it returned. Anything else is
 * a TypeError naming the create parameter (`fn`, `arg`), not wrap's.
 */
export function created(d: { wrap(s: never): CopasSocket }, r: unknown, fn: string, arg: string): CopasSocket {
  if (Array.isArray(r)) {
    if (r[0] === null || r[0] === undefined) fail(String(r[1]));
    r = r[0];
  }
  if (r instanceof CopasSocket) return r;
  try {
    return d.wrap(r as never);
  } catch (e) {
    if (e instanceof TypeError) failArg(fn, arg, "a function giving a socket, or [null, err]", r);
    throw e;
  }
}

/** Connects `c` with copas timeout `timeout` on every phase; closes it and fails on error. */
export function* connect(c: CopasSocket, host: string, port: number, timeout: number): Op<void> {
  c.settimeout(timeout);
  const [ok, err] = yield* c.connect(host, port);
  if (ok === null) {
    c.close();
    fail(err);
  }
}
