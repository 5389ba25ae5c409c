// The oracle's driver for the port: driver.lua's twin, on the public API only ("copas"). It runs
// one scenario on a fresh dispatcher and prints the same lines as driver.lua would.
//
// Run as a host process (harness.ts starts it): each stdin line is a JSON request
// `{ "id": n, "port": <control port>, "scenario": {...} }`; each output line is "<id>\t<line>",
// ending with "<id>\tEND". A scenario that throws out of the driver ends with "<id>\tCRASH ...".
//
// Two accommodations for Node, both documented in differences.ts:
//  - after each answer of the peer, the thread lets Node's event loop take one turn (a
//    setImmediate): LuaSocket reads the kernel directly, Node reads it in its poll phase, so
//    data the peer wrote before answering is in the port's buffers only after that turn;
//  - results are tuples padded with null (the contract); the padding is checked against the
//    length of each function's failure form (a wrong length prints "!len=N") and then dropped,
//    as driver.lua drops Lua's trailing nils.

import { createInterface } from "node:readline";
import { Copas, CopasSocket, TcpSocket, Thread, Timer, UdpSocket, TlsSocket, ltn12 } from "copas";
import type { Op } from "copas";
import type { Scenario, Step } from "./scenario.js";

type Out = (line: string) => void;

// ------------------------------------------------------------------------------------------
// Output: the same text as driver.lua's fmt()
// ------------------------------------------------------------------------------------------

function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i) & 0xff;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

export function quote(s: string, full = false): string {
  if (s.length > 200 && !full) return `<${s.length} bytes fnv=${fnv(s)}>`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c < 0x20 || c >= 0x7f) out += "\\x" + (c & 0xff).toString(16).padStart(2, "0");
    else out += s[i];
  }
  return out + '"';
}

export function fmt(v: unknown, coarse = false): string {
  if (v === null || v === undefined) return "nil";
  switch (typeof v) {
    case "boolean":
      return String(v);
    case "number":
      if (coarse) return v === 0 ? "0" : v > 0 ? "n>0" : "n<0";
      if (Number.isNaN(v)) return "nan";
      if (v === Infinity) return "inf";
      if (v === -Infinity) return "-inf";
      if (Number.isInteger(v) && Math.abs(v) < 2 ** 53) return String(v);
      return "~num";
    case "string":
      return quote(v);
    case "function":
      return "function";
  }
  if (v instanceof Thread) return "thread";
  if (v instanceof TcpSocket || v instanceof UdpSocket || v instanceof CopasSocket || v instanceof TlsSocket) return "socket";
  if (v instanceof Uint8Array) return quote(Buffer.from(v).toString("latin1"));
  // A thrown Error stands for Lua's error value, a string (README: errors are JS values).
  if (v instanceof Error) return quote(errtext(v));
  if (v instanceof Timer) return "timer";
  return "table";
}

/** A result tuple: `[a, b]`, trailing nulls dropped; `!len=N` if the padding is not `arity`. */
function tup(r: unknown, coarse = false, arity?: number): string {
  const a = Array.isArray(r) ? r : [r];
  let n = a.length;
  while (n > 0 && (a[n - 1] === null || a[n - 1] === undefined)) n--;
  const text = "[" + a.slice(0, n).map((x) => fmt(x, coarse)).join(", ") + "]";
  if (arity !== undefined && Array.isArray(r) && r.length !== arity) return `${text} !len=${r.length}`;
  if (arity !== undefined && !Array.isArray(r)) return `${text} !len=bare`;
  return text;
}

/** An error as text: a TypeError keeps its name (see differences.ts: TypeError texts). */
function errtext(e: unknown): string {
  if (e instanceof TypeError) return `TypeError: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

// The length of each op's failure form: the contract pads every tuple to it.
const ARITY: Record<string, number> = {
  receive: 3, receivepartial: 3, send: 3, raw_receive: 3, raw_send: 3,
  lock_get: 3, lock_release: 2, sem_take: 2, sem_give: 2, sem_count: 2,
  queue_push: 2, queue_pop: 2, queue_finish: 2, queue_stop: 2, queue_destroy: 2, queue_size: 2,
  queue_add_worker: 2, timer_arm: 2, timer_cancel: 2, smtp_send: 2, ftp_get: 2, ftp_put: 2,
  udp_sendto: 2, udp_send: 2, udp_setpeername: 2,
};

function hex(s: string): string {
  return Buffer.from(s, "latin1").toString("hex");
}
function unhex(h: string): string {
  return Buffer.from(h, "hex").toString("latin1");
}

function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

// ------------------------------------------------------------------------------------------
// One scenario
// ------------------------------------------------------------------------------------------

interface Ctx {
  item?: unknown;
}

/** Names as driver.lua prints them: no address (Lua's have one, see differences.ts, rule:names). */
function noaddr(name: unknown): unknown {
  if (typeof name !== "string") return name;
  if (/^thread: 0x[0-9a-f]+$/.test(name)) return "thread: <addr>";
  return name.replace(/: 0x[0-9a-f]+/g, "");
}

/** Runs `scenario` on a fresh dispatcher against the peer at `ctlPort`; prints through `out`. */
export async function runScenario(scenario: Scenario, ctlPort: number, out: Out): Promise<void> {
  const copas = new Copas();
  const socket = copas.socket;
  const objs = new Map<string, any>();
  const threads = new Map<string, Thread>();
  const ports = new Map<string, number>();

  const threadname = (t: Thread | null | undefined): string =>
    t === null || t === undefined ? "nil" : String(noaddr(copas.getthreadname(t)));
  // The running thread's name (getthreadname's default).
  const currentName = (): string => String(noaddr(copas.getthreadname()));

  copas.seterrorhandler((err, t) => {
    out(`errorhandler ${quote(errtext(err))} ${threadname(t)}`);
  }, true);

  const [ctl, cerr] = await socket.connect("127.0.0.1", ctlPort);
  if (ctl === null) throw new Error(`control connection: ${cerr}`);

  function* peer(cmd: string): Op<string> {
    const [ok, err] = yield* copas.send(ctl!, cmd + "\n");
    if (ok === null) throw new Error(`peer: control send failed: ${err}`);
    const [line, err2] = yield* copas.receive(ctl!, "*l");
    if (line === null) throw new Error(`peer: control receive failed: ${err2}`);
    yield* copas.await(settle());
    return line;
  }

  const peertext = (line: string): string => {
    const d = /^data ([0-9a-f]*) (\S+)$/.exec(line);
    if (d) return `data ${quote(unhex(d[1]!))} ${d[2]}`;
    const l = /^log ([0-9a-f]*)$/.exec(line);
    if (l) return `log ${quote(unhex(l[1]!), true)}`;
    if (/^port \d+$/.test(line)) return "port";
    const dg = /^dgrams (\S+) (\S+)$/.exec(line);
    if (dg) {
      const parts = dg[1] === "-" ? [] : dg[1]!.split(",").map((h) => quote(unhex(h.slice(1))));
      return `dgrams [${parts.join(", ")}] ${dg[2]}`;
    }
    return line;
  };

  const arg = (v: unknown): any => {
    if (v === null || v === undefined) return null;
    if (typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.rep === "string") return o.rep.repeat(o.n as number);
      const c: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) c[k] = arg(x);
      return c;
    }
    if (Array.isArray(v)) return v.map(arg);
    return v;
  };

  const sock = (st: Step): any => {
    const s = objs.get((st.s as string) ?? "S");
    return st.w ? copas.wrap(s) : s;
  };

  let spins = 0;
  const marks = new Map<string, number>();
  const udp = (st: Step): any => objs.get((st.s as string) ?? "U");

  const subst = (s: unknown, ctx: Ctx): string => {
    let t = String(s);
    t = t.replace(/\$item/g, () => luaString(ctx.item));
    t = t.replace(/\$([A-Z]+)/g, (all, k: string) => (ports.has(k) ? `127.0.0.1:${ports.get(k)}` : all));
    return t;
  };

  // tostring() of an item, as Lua would print it.
  const luaString = (v: unknown): string => (v === null || v === undefined ? "nil" : typeof v === "string" ? v : fmt(v));

  const callarg = (v: unknown): unknown => {
    if (v === "$S") return objs.get("S");
    if (v === "$fn") return function () {};
    if (v && typeof v === "object" && !Array.isArray(v) && (v as { rep?: unknown }).rep === undefined) {
      const c: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) c[k] = callarg(x);
      return c;
    }
    return arg(v);
  };

  const calls: Record<string, (...a: any[]) => unknown> = {
    seterrorhandler: (a, b) => copas.seterrorhandler(a, b),
    setthreadname: (a, b) => copas.setthreadname(a, b),
    getthreadname: (a) => copas.getthreadname(a),
    setsocketname: (a, b) => copas.setsocketname(a, b),
    getsocketname: (a) => copas.getsocketname(a),
    timeout: (a, b) => copas.timeout(a, b),
    "lock.new": (a, b) => copas.lock.new(a, b),
    "semaphore.new": (a, b, c) => copas.semaphore.new(a, b, c),
    "timer.new": (a) => copas.timer.new(a),
    "queue.new": (a) => copas.queue.new(a),
    "queue.add_worker": (a) => copas.queue.new().add_worker(a),
    "future.addthread": (a) => copas.future.addthread(a),
    "timer.arm": (a) => {
      const t = copas.timer.new({ delay: 1, callback: () => {}, initial_delay: 1000 });
      try {
        return t.arm(a);
      } finally {
        t.cancel();
      }
    },
  };

  const fnOf = (steps: Step[] | undefined, ctx: Ctx, ret?: unknown) =>
    function* (item?: unknown): Op<unknown> {
      yield* run(steps ?? [], { ...ctx, item });
      return ret === undefined ? undefined : arg(ret);
    };

  const headerstext = (h: unknown): string => {
    if (!h || typeof h !== "object") return fmt(h);
    const keys = Object.keys(h).sort();
    return "{" + keys.map((k) => `${k}=${quote(String((h as Record<string, unknown>)[k]))}`).join(", ") + "}";
  };

  type R = unknown;
  const ops: Record<string, (st: Step, ctx: Ctx) => Op<R> | R> = {
    *receive(st) {
      const s = sock(st);
      return st.w ? yield* s.receive(arg(st.pattern), arg(st.prefix)) : yield* copas.receive(s, arg(st.pattern), arg(st.prefix));
    },
    *receivepartial(st) {
      const s = sock(st);
      return st.w ? yield* s.receivepartial(arg(st.pattern), arg(st.prefix)) : yield* copas.receivepartial(s, arg(st.pattern), arg(st.prefix));
    },
    *send(st) {
      const s = sock(st);
      return st.w ? yield* s.send(arg(st.data), arg(st.i), arg(st.j)) : yield* copas.send(s, arg(st.data), arg(st.i), arg(st.j));
    },
    settimeout: (st) => (st.w ? sock(st).settimeout(arg(st.t)) : copas.settimeout(sock(st), arg(st.t))),
    settimeouts: (st) =>
      st.w
        ? sock(st).settimeouts(arg(st.connect), arg(st.send), arg(st.receive))
        : copas.settimeouts(sock(st), arg(st.connect), arg(st.send), arg(st.receive)),
    close: (st) => (st.w ? sock(st).close() : copas.close(sock(st))),
    shutdown: (st) => sock(st).shutdown(arg(st.mode) ?? undefined),
    raw_receive: (st) => objs.get((st.s as string) ?? "S").receive(arg(st.pattern), arg(st.prefix)),
    raw_send: (st) => objs.get((st.s as string) ?? "S").send(arg(st.data), arg(st.i), arg(st.j)),
    raw_close: (st) => objs.get((st.s as string) ?? "S").close(),
    setoption: (st) => sock(st).setoption(arg(st.name), arg(st.value)),
    getsocketname: (st) => [noaddr(copas.getsocketname(objs.get((st.s as string) ?? "S")))],
    setsocketname: (st) => copas.setsocketname(arg(st.name), objs.get((st.s as string) ?? "S")),

    // the peer
    peer_send: (st) => peerop(st, `send ${hex(arg(st.data))}`),
    peer_shutdown: (st) => peerop(st, "shutdown"),
    peer_close: (st) => peerop(st, "close"),
    peer_reset: (st) => peerop(st, "reset"),
    peer_recv: (st) => peerop(st, `recv ${st.n}`),
    peer_recvall: (st) => peerop(st, "recvall"),
    peer_pause: (st) => peerop(st, "pause"),
    peer_resume: (st) => peerop(st, "resume"),
    peer_log: (st) => peerop(st, "log"),
    http_serve: (st) => peerop(st, ["http", ...(st.responses as unknown[]).map((r) => hex(arg(r)))].join(" "), (st.kind as string) ?? "HTTP"),
    smtp_serve: (st) => peerop(st, ["smtp", ...((st.replies as unknown[]) ?? []).map((r) => hex(arg(r)))].join(" "), (st.kind as string) ?? "SMTP"),
    ftp_serve: (st) => peerop(st, ["ftp", ...((st.files as unknown[]) ?? []).map((r) => hex(arg(r)))].join(" "), (st.kind as string) ?? "FTP"),

    // UDP (U, or st.s): datagrams to and from the peer's UDP socket
    peer_udp: (st) => peerop(st, "udp", "UDP"),
    peer_udprecv: (st) => peerop(st, `udprecv ${st.n}`),
    peer_udpsend: (st) => peerop(st, `udpsend ${hex(arg(st.data))}`),
    udp_new: (st) => (objs.set((st.s as string) ?? "U", socket.udp()), ""),
    udp_sendto: (st) => udp(st).sendto(arg(st.data), "127.0.0.1", ports.get("UDP")!),
    *udp_setpeername(st) {
      return yield* copas.await(udp(st).setpeername("127.0.0.1", ports.get("UDP")!));
    },
    udp_send: (st) => udp(st).send(arg(st.data)),
    *udp_receive(st) {
      return yield* copas.receive(udp(st), arg(st.size));
    },
    *udp_receivefrom(st) {
      const [data, ip] = yield* copas.receivefrom(udp(st), arg(st.size));
      return [data, ip];
    },
    udp_close: (st) => udp(st).close(),

    // starvation probes: a thread spins on pause(0), counting; others note the count (mark)
    // when something happens; markdiff tells whether event a came at most `max` rounds after b.
    *spin(st) {
      let stop: number | null = null;
      for (let k = 0; k < (st.max as number); k++) {
        yield* copas.pause(0);
        spins++;
        if (st.send_at === spins) {
          // a raw send on a local pair: the bytes are in the other end's kernel buffer at once
          objs.get(st.send_s as string).send(arg(st.send_data));
          marks.set("sent", spins);
        }
        if (stop === null && marks.has(st.until as string)) stop = spins + (st.extra as number);
        if (stop !== null && spins >= stop) break;
      }
      return "";
    },
    mark: (st) => (marks.set(st.name as string, spins), ""),
    // a connected pair of TCP sockets inside the driver (a, b)
    *pair(st) {
      const [server] = yield* copas.await(socket.bind("127.0.0.1", 0));
      const port = (server as TcpSocket).getsockname()[1];
      const [a] = yield* copas.await(socket.connect("127.0.0.1", port as number));
      yield* copas.await(socket.select([server as TcpSocket], null));
      const [b] = (server as TcpSocket).accept();
      (server as TcpSocket).close();
      objs.set(st.a as string, a);
      objs.set(st.b as string, b);
      return "";
    },
    markdiff: (st) => {
      const a = marks.get(st.a as string);
      const b = marks.get(st.b as string);
      if (a === undefined || b === undefined) return "missing";
      return a - b <= (st.max as number) ? `within ${st.max}` : `apart ${a - b}`;
    },

    // threads and the dispatcher
    spawn: (st, ctx) => {
      const f = fnOf(st.steps as Step[], ctx);
      const t = st.name !== undefined && st.name !== null ? copas.addnamedthread(st.name as string, f) : copas.addthread(f);
      threads.set(st.id as string, t);
      return [t];
    },
    log: (st, ctx) => subst(st.msg ?? "", ctx),
    *pause(st) {
      yield* copas.pause(arg(st.s));
      return "";
    },
    *sleep(st) {
      yield* copas.sleep(arg(st.s));
      return "";
    },
    *pauseforever() {
      yield* copas.pauseforever();
      return "";
    },
    wakeup: (st) => [copas.wakeup(threads.get(st.t as string)!)],
    removethread: (st) => [copas.removethread(threads.get(st.t as string)!)],
    setthreadname: (st) => [copas.setthreadname(arg(st.name), st.t ? threads.get(st.t as string) : null)],
    getthreadname: (st) => (st.t ? threadname(threads.get(st.t as string)) : currentName()),
    timeout: (st, ctx) => {
      const sid = st.sid!;
      const cb = st.cb as Step[] | undefined;
      return [
        copas.timeout(arg(st.delay), (t: Thread) => {
          out(`${sid} timeout-cb ${threadname(t)}`);
          if (cb) copas.addthread(fnOf(cb, ctx)); // (Copas runs callbacks outside threads; none of ours wait)
        }),
      ];
    },
    exit: () => [copas.exit()],
    exiting: () => [copas.exiting()],
    *waitforexit() {
      return [yield* copas.waitforexit()];
    },
    call: (st) => {
      const args = ((st.args as unknown[]) ?? []).map(callarg);
      const r = calls[st.fn as string]!(...args);
      return Array.isArray(r) ? r : [r];
    },

    // coordination
    lock_new: (st) => (objs.set(st.id as string, copas.lock.new(arg(st.timeout), arg(st.notReentrant))), ""),
    *lock_get(st) {
      return yield* objs.get(st.id as string).get(arg(st.timeout));
    },
    lock_release: (st) => objs.get(st.id as string).release(),
    lock_destroy: (st) => objs.get(st.id as string).destroy(),
    sem_new: (st) => (objs.set(st.id as string, copas.semaphore.new(arg(st.max), arg(st.start), arg(st.timeout))), ""),
    *sem_take(st) {
      return yield* objs.get(st.id as string).take(arg(st.n), arg(st.timeout));
    },
    sem_give: (st) => objs.get(st.id as string).give(arg(st.n)),
    sem_count: (st) => objs.get(st.id as string).get_count(),
    sem_wait: (st) => objs.get(st.id as string).get_wait(),
    sem_destroy: (st) => objs.get(st.id as string).destroy(),
    queue_new: (st) => {
      const q = copas.queue.new(st.name ? { name: st.name as string } : null);
      objs.set(st.id as string, q);
      return quote(q.name);
    },
    queue_push: (st) => objs.get(st.id as string).push(arg(st.item)),
    *queue_pop(st) {
      return yield* objs.get(st.id as string).pop(arg(st.timeout));
    },
    *queue_finish(st) {
      return yield* objs.get(st.id as string).finish(arg(st.timeout), arg(st.keep));
    },
    queue_stop: (st) => objs.get(st.id as string).stop(),
    queue_destroy: (st) => objs.get(st.id as string).destroy(),
    queue_size: (st) => objs.get(st.id as string).get_size(),
    queue_workers: (st) => {
      const [w, err] = objs.get(st.id as string).get_workers();
      return w === null ? [w, err] : [w.length];
    },
    queue_add_worker: (st, ctx) => {
      const sid = st.sid!;
      const steps = (st.worker as Step[]) ?? [];
      const r = objs.get(st.id as string).add_worker(function* (item: unknown): Op<void> {
        out(`${sid} worker ${currentName()} ${fmt(item)}`);
        yield* run(steps, { ...ctx, item });
      });
      if (r[0] instanceof Thread && st.t) threads.set(st.t as string, r[0]);
      return r;
    },
    future_new: (st, ctx) => {
      const f = fnOf(st.steps as Step[], ctx, st.ret);
      objs.set(st.id as string, st.name ? copas.future.addnamedthread(st.name as string, f) : copas.future.addthread(f));
      return "";
    },
    *future_get(st) {
      return yield* objs.get(st.id as string).get();
    },
    future_try: (st) => objs.get(st.id as string).try(),
    future_cancel: (st) => [objs.get(st.id as string).cancel()],
    timer_new: (st, ctx) => {
      const sid = st.sid!;
      const steps = (st.cb as Step[]) ?? [];
      const t = copas.timer.new({
        name: arg(st.name),
        delay: arg(st.delay),
        initial_delay: arg(st.initial_delay),
        recurring: arg(st.recurring),
        params: arg(st.params),
        callback: function* (_timer: unknown, params: unknown): Op<void> {
          out(`${sid} timer-cb ${currentName()} ${fmt(params)}`);
          yield* run(steps, ctx);
        },
      });
      objs.set(st.id as string, t);
      return "";
    },
    timer_arm: (st) => objs.get(st.id as string).arm(arg(st.delay)),
    timer_cancel: (st) => objs.get(st.id as string).cancel(),

    // clients
    *http_request(st, ctx) {
      let r: unknown[];
      let body: string | null = null;
      if (st.params) {
        const p = arg(st.params);
        p.url = subst(p.url, ctx);
        const chunks: string[] = [];
        if (typeof p.source === "string") p.source = ltn12.source.string(p.source);
        if (p.sink === "table") p.sink = ltn12.sink.table(chunks)[0];
        r = yield* copas.http.request(p);
        if ((st.params as { sink?: unknown }).sink === "table") body = chunks.join("");
      } else {
        r = yield* copas.http.request(subst(st.url, ctx), arg(st.body));
      }
      if (r[0] === null || r[0] === undefined) return r;
      if (body !== null) r = [body, ...r.slice(1)];
      return `[${fmt(r[0])}, ${fmt(r[1])}, ${headerstext(r[2])}, ${fmt(r[3])}]`;
    },
    *smtp_send(st) {
      const msg = arg(st.message);
      const source = copas.smtp.message({ headers: msg.headers, body: msg.body });
      return yield* copas.smtp.send({
        from: arg(st.from),
        rcpt: arg(st.rcpt),
        source,
        server: "127.0.0.1",
        port: ports.get("SMTP"),
        domain: arg(st.domain) ?? undefined,
      } as never);
    },
    *ftp_get(st, ctx) {
      if (st.params) {
        const chunks: string[] = [];
        const p = { ...arg(st.params), host: "127.0.0.1", port: ports.get("FTP"), sink: ltn12.sink.table(chunks)[0] };
        const r = yield* copas.ftp.get(p);
        return r[0] === null ? r : [chunks.join(""), ...r.slice(1)];
      }
      return yield* copas.ftp.get(subst(st.url, ctx));
    },
    *ftp_put(st, ctx) {
      if (st.params) {
        const p = { ...arg(st.params), host: "127.0.0.1", port: ports.get("FTP"), source: ltn12.source.string(arg(st.data)) };
        return yield* copas.ftp.put(p);
      }
      return yield* copas.ftp.put(subst(st.url, ctx), arg(st.data));
    },
  };

  function* peerop(st: Step, cmd: string, kind?: string): Op<string> {
    const line = yield* peer(cmd);
    const m = /^port (\d+)$/.exec(line);
    if (m && kind) ports.set(kind, Number(m[1]));
    return peertext(line);
  }

  function* run(steps: Step[], ctx: Ctx): Op<void> {
    for (const st of steps) {
      if (st.op === "error") {
        out(`${st.sid} throwing`);
        throw new Error(st.msg as string);
      }
      const f = ops[st.op];
      if (!f) throw new Error(`driver.ts: unknown op ${st.op}`);
      let line: string;
      try {
        let r = f(st, ctx);
        if (r && typeof r === "object" && typeof (r as Op<R>).next === "function" && !Array.isArray(r)) {
          r = yield* r as Op<R>;
        }
        if (typeof r === "string") line = r === "" ? st.sid! : `${st.sid} ${r}`;
        else line = `${st.sid} ${tup(r, !!st.coarse, ARITY[st.op])}`;
      } catch (e) {
        line = `${st.sid} error: ${errtext(e)}`;
      }
      // quiet: the step's result is not printed (its order against other threads is not fixed)
      if (!st.quiet) out(line);
    }
  }

  function* main(): Op<void> {
    if (scenario.socket === "client") {
      const port = Number(/^port (\d+)$/.exec(yield* peer(scenario.tls ? "listen tls" : "listen"))![1]);
      const s = socket.tcp();
      const r = yield* copas.connect(s, "127.0.0.1", port);
      out(`connect ${tup(r)}`);
      let data: unknown = s;
      if (scenario.tls) {
        const hs = yield* copas.dohandshake(s, arg(scenario.tls));
        out(`handshake ${tup(hs)}`);
        data = hs[0] ?? s;
      }
      // (after the handshake: the peer takes a TLS connection once its side of it is done)
      const accepted = yield* peer("accept");
      if (accepted !== "ok") throw new Error(`peer: accept: ${accepted}`);
      objs.set("S", data);
      yield* run(scenario.steps, {});
    } else if (scenario.socket === "server") {
      const [server] = yield* copas.await(socket.bind("127.0.0.1", 0));
      const sport = (server as TcpSocket).getsockname()[1];
      copas.addserver(
        server as TcpSocket,
        function* (skt: TcpSocket): Op<void> {
          yield* copas.receive(ctl!, "*l");
          yield* copas.await(settle());
          copas.removeserver(server as TcpSocket);
          objs.set("S", skt);
          out(`handler ${currentName()} ${quote(String(noaddr(copas.getsocketname(skt))))}`);
          yield* run(scenario.steps, {});
        } as never,
        null,
        (scenario.server as string) ?? null,
      );
      yield* copas.send(ctl!, `connect ${sport}\n`);
    } else {
      yield* run(scenario.steps, {});
    }
  }

  copas.addnamedthread("main", main);
  await copas.loop();
  out("END");
  try {
    copas.cancelall();
  } catch {
    // ignore
  }
  for (const s of [objs.get("S"), ctl]) {
    try {
      s?.close();
    } catch {
      // ignore
    }
  }
}

// ------------------------------------------------------------------------------------------
// The host process
// ------------------------------------------------------------------------------------------

/** JSON has no Infinity: the harness writes {"$num": "inf"} (see harness.ts). */
function reviveNumbers(_k: string, v: unknown): unknown {
  if (v && typeof v === "object" && "$num" in v) {
    const n = (v as { $num: string }).$num;
    return n === "inf" ? Infinity : n === "-inf" ? -Infinity : NaN;
  }
  return v;
}

async function host(): Promise<void> {
  const rl = createInterface({ input: process.stdin });
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  let closed = false;
  rl.on("line", (l) => {
    queue.push(l);
    wake?.();
  });
  rl.on("close", () => {
    closed = true;
    wake?.();
  });
  for (;;) {
    while (queue.length === 0 && !closed) await new Promise<void>((r) => (wake = r));
    if (queue.length === 0) break;
    const req = JSON.parse(queue.shift()!, reviveNumbers) as { id: number; port: number; scenario: Scenario };
    const out = (line: string) => process.stdout.write(`${req.id}\t${line}\n`);
    try {
      await runScenario(req.scenario, req.port, out);
    } catch (e) {
      out(`CRASH ${String((e as Error)?.stack ?? e).replace(/\n/g, " | ")}`);
    }
  }
  process.exit(0);
}

if (process.argv[1] && /driver\.ts$/.test(process.argv[1])) void host();
