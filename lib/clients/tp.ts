// LuaSocket's socket.tp, the command/reply protocol shared by SMTP and FTP, as ops on a copas
// socket: `check` reads one reply ("250 ok", or a multi-line "250-..." block ending with the
// same code and a space) and matches its code against a pattern such as "2..".
//
// Failures are thrown as TpFailure (LuaSocket's socket.try) and turned into `[null, err]` by
// the client's public op; the socket is closed on the way out.

import { CopasSocket } from "../core/wrap.js";
import type { Op } from "../common/types.js";

/** A protocol failure: the client's op returns `[null, message]`. */
export class TpFailure extends Error {}

export function fail(msg: string): never {
  throw new TpFailure(msg);
}

/** Most lines of one multi-line reply (bounds what a server can make the client hold). */
const MAX_REPLY_LINES = 10000;

/** One reply: `[code, text]` (lines joined with "\n"). */
export function* getReply(c: CopasSocket): Op<[string, string]> {
  const [line, err] = yield* c.receive("*l");
  if (line === null) fail(err);
  const m = /^(\d\d\d)(.?)/.exec(line);
  if (m === null) fail("invalid server reply");
  const code = m[1]!;
  let reply = line;
  if (m[2] === "-") {
    for (let n = 0; ; n++) {
      const [next, err2] = yield* c.receive("*l");
      if (next === null) fail(err2);
      if (n >= MAX_REPLY_LINES) fail("invalid server reply");
      reply += "\n" + next;
      const m2 = /^(\d\d\d)(.?)/.exec(next);
      if (m2 !== null && m2[1] === code && m2[2] === " ") break;
    }
  }
  return [code, reply];
}

/**
 * Reads a reply and checks its code against `ok` (a pattern like "2.." or a list of them):
 * `[code, reply]`; a reply that does not match fails with its text.
 */
export function* check(c: CopasSocket, ok: string | string[]): Op<[number, string]> {
  const [code, reply] = yield* getReply(c);
  const pats = typeof ok === "string" ? [ok] : ok;
  for (const p of pats) if (new RegExp(p).test(code)) return [Number(code), reply];
  return fail(reply);
}

/**
 * Sends `cmd arg\r\n` (or `cmd\r\n`). A command or argument holding CR or LF (say, from an
 * unescaped URL path) fails instead: it would smuggle in a second command.
 */
/** Sends "CMD arg": the command in upper case, as LuaSocket's tp:command. */
export function* command(c: CopasSocket, cmd: string, arg?: string | null): Op<void> {
  if (/[\r\n]/.test(cmd) || (typeof arg === "string" && /[\r\n]/.test(arg))) fail("invalid command: CR or LF in it");
  cmd = cmd.toUpperCase();
  yield* send(c, arg === undefined || arg === null ? `${cmd}\r\n` : `${cmd} ${arg}\r\n`);
}

export function* send(c: CopasSocket, data: string): Op<void> {
  const [ok, err] = yield* c.send(data);
  if (ok === null) fail(err);
}

/** `create()` of a client: a copas socket, or fails with the error it returned. */
export function created(d: { wrap(s: never): CopasSocket }, r: unknown): CopasSocket {
  if (Array.isArray(r)) {
    if (r[0] === null || r[0] === undefined) fail(String(r[1]));
    r = r[0];
  }
  return r instanceof CopasSocket ? r : d.wrap(r as never);
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
