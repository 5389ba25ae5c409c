// Seeded random scenarios over the oracle's building blocks: `npm run test:oracle -- --seed N
// --count M` runs seeds N .. N+M-1. The same seed gives the same scenario on every machine (a
// small PRNG of our own; no Math.random).
//
// Two families, chosen by the seed:
//  - socket: a data connection (client or server side) on which the driver receives with every
//    pattern, prefix and API (copas, wrapped, raw), sends with i/j, shuts down and closes, while
//    the peer sends, half-closes, closes or resets. A small model of both ends keeps every step
//    deterministic: a receive that may wait has a socket timeout; the peer is asked for exactly
//    the bytes the driver's sends gave it; the driver reads all its input before it closes (a
//    close with unread input sends a RST, whose effect on data in flight is the kernel's race).
//  - threads: threads that log, pause(0), sleep until woken, wake and remove each other, and use
//    a lock, a semaphore and a queue without waiting on time, so the order is the dispatcher's.

import type { Scenario, Step } from "./scenario.js";

/** mulberry32: small, seeded, the same everywhere. */
class Rand {
  #s: number;
  constructor(seed: number) {
    this.#s = (seed ^ 0x9e3779b9) >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  /** One of `options` by weight; those with weight 0 are not possible now. */
  weighted<K extends string>(options: Record<K, number>): K {
    const entries = Object.entries(options) as [K, number][];
    const total = entries.reduce((a, [, w]) => a + w, 0);
    let x = this.next() * total;
    for (const [k, w] of entries) {
      if ((x -= w) < 0) return k;
    }
    return entries.find(([, w]) => w > 0)![0];
  }
}

const ALPHABET = "abcxyz  \n\n\r0";

function text(r: Rand, min: number, max: number): string {
  let s = "";
  for (let n = r.int(min, max); n > 0; n--) s += r.pick([...ALPHABET]);
  return s;
}

/** What LuaSocket's send(data, i, j) sends: the byte count of the range. */
export function rangeLength(len: number, i: number | null, j: number | null): number {
  let a = i ?? 1;
  let b = j ?? -1;
  if (a < 0) a = len + a + 1;
  if (b < 0) b = len + b + 1;
  if (a < 1) a = 1;
  if (b > len) b = len;
  return b >= a ? b - a + 1 : 0;
}

const PATTERNS: readonly (string | number)[] = ["*l", "*l", "*l", "*a", "*a", 0, 1, 2, 3, 5, 8, 13, 40, "*line", "*all"];

function socketScenario(seed: number, r: Rand): Scenario {
  const mode = r.chance(0.7) ? "client" : "server";
  const steps: Step[] = [{ op: "settimeout", t: 0.1 }];
  // the model
  let peerWrites = true; // the peer has not shut down, closed or reset
  let peerGone = false; // closed or reset
  let peerReset = false;
  let canSend = true; // no own shutdown("send"/"both") nor close
  let open = true; // not closed
  let pending = 0; // bytes sent by the driver not yet taken by the peer
  let wrapped = false;

  const receive = (): Step => {
    const st: Step = { op: r.weighted({ receive: 6, receivepartial: 2, raw_receive: 2 }) };
    st.pattern = r.pick(PATTERNS);
    if (r.chance(0.3)) st.prefix = r.pick(["", "p", "pre:", "abc"]);
    if (st.op !== "raw_receive" && wrapped && r.chance(0.5)) st.w = true;
    return st;
  };

  const n = r.int(5, 14);
  for (let k = 0; k < n; k++) {
    const block = r.weighted({
      peer_send: peerWrites ? 5 : 0,
      receive: 6,
      send: 4,
      peer_recv: pending > 0 && !peerGone ? 3 : 0,
      peer_shutdown: peerWrites ? 1 : 0,
      peer_close: !peerGone ? 0.6 : 0,
      peer_reset: !peerGone ? 0.3 : 0,
      shutdown: open ? 0.6 : 0,
      close: open ? 0.5 : 0,
      settimeout: 0.5,
      wrap: !wrapped && open ? 0.5 : 0,
      raw_send: 1,
    });
    switch (block) {
      case "peer_send":
        steps.push({ op: "peer_send", data: text(r, 1, 24) });
        break;
      case "receive":
        steps.push(receive());
        break;
      case "send":
      case "raw_send": {
        const data = text(r, 0, 16);
        const st: Step = { op: block, data };
        if (r.chance(0.4)) st.i = r.int(-8, 10);
        if (r.chance(0.3)) st.j = r.int(-8, 18);
        if (block === "send" && wrapped && r.chance(0.5)) st.w = true;
        steps.push(st);
        if (canSend && !peerGone) pending += rangeLength(data.length, (st.i as number) ?? null, (st.j as number) ?? null);
        break;
      }
      case "peer_recv":
        steps.push({ op: "peer_recv", n: pending });
        pending = 0;
        break;
      case "peer_shutdown":
        steps.push({ op: "peer_shutdown" });
        peerWrites = false;
        break;
      case "peer_close":
      case "peer_reset":
        steps.push({ op: block });
        peerWrites = false;
        peerGone = true;
        peerReset ||= block === "peer_reset";
        pending = 0;
        break;
      case "shutdown": {
        const mode = r.pick(["send", "receive", "both", null] as const);
        if (mode === "receive") {
          // input shut: read what is queued first, so no RST races the peer's data
          steps.push({ op: "receive", pattern: "*a" });
        }
        steps.push(mode === null ? { op: "shutdown" } : { op: "shutdown", mode });
        if (mode !== "receive") canSend = false;
        break;
      }
      case "close":
        // read all input first: a close with unread input resets the connection
        steps.push({ op: "receive", pattern: "*a" });
        steps.push({ op: "close", ...(wrapped && r.chance(0.5) ? { w: true } : {}) });
        open = false;
        canSend = false;
        break;
      case "settimeout":
        steps.push({ op: "settimeout", t: r.pick([0.1, 0.2]), ...(wrapped && r.chance(0.5) ? { w: true } : {}) });
        break;
      case "wrap":
        wrapped = true;
        steps.push({ op: "settimeout", w: true, t: 0.1 });
        break;
    }
  }
  // What the driver sent reaches the peer: all of it (and the end, once the driver closed).
  if (!peerGone && !canSend) steps.push({ op: "peer_recvall" });
  else if (!peerGone && pending > 0) steps.push({ op: "peer_recv", n: pending });
  void peerReset;
  return { name: `random/${seed}`, about: `socket, ${mode} side`, socket: mode, steps };
}

function threadScenario(seed: number, r: Rand): Scenario {
  const ids = ["A", "B", "C", "D"].slice(0, r.int(2, 4));
  const steps: Step[] = [
    { op: "lock_new", id: "L", timeout: 0 },
    { op: "sem_new", id: "S", max: 3, start: r.int(0, 3), timeout: 0 },
    { op: "queue_new", id: "Q" },
  ];
  const body = (me: string): Step[] => {
    const out: Step[] = [];
    for (let n = r.int(3, 8); n > 0; n--) {
      const other = r.pick(ids);
      const block = r.weighted({
        log: 3,
        pause0: 3,
        sleep: 1,
        wakeup: 2,
        removethread: other === me ? 0 : 0.4,
        lock: 1,
        sem: 1.5,
        queue: 1.5,
        name: 0.5,
      });
      switch (block) {
        case "log":
          out.push({ op: "log", msg: `${me} ${n}` });
          break;
        case "pause0":
          out.push({ op: "pause", s: r.pick([0, null]) });
          break;
        case "sleep":
          out.push({ op: "sleep", s: -1 });
          break;
        case "wakeup":
          out.push({ op: "wakeup", t: other });
          break;
        case "removethread":
          out.push({ op: "removethread", t: other });
          break;
        case "lock":
          out.push(r.chance(0.6) ? { op: "lock_get", id: "L", timeout: 0 } : { op: "lock_release", id: "L" });
          break;
        case "sem":
          out.push(r.chance(0.5) ? { op: "sem_take", id: "S", n: r.int(1, 4), timeout: 0 } : { op: "sem_give", id: "S", n: r.int(1, 2) });
          if (r.chance(0.3)) out.push({ op: "sem_count", id: "S" });
          break;
        case "queue":
          out.push(r.chance(0.5) ? { op: "queue_push", id: "Q", item: `${me}${n}` } : { op: "queue_pop", id: "Q", timeout: 0 });
          if (r.chance(0.3)) out.push({ op: "queue_size", id: "Q" });
          break;
        case "name":
          out.push({ op: "getthreadname", t: other });
          break;
      }
    }
    return out;
  };
  for (const id of ids) steps.push({ op: "spawn", id, ...(r.chance(0.5) ? { name: `t${id}` } : {}), steps: body(id) });
  steps.push(...body("main"));
  return { name: `random/${seed}`, about: "threads", steps };
}

/** The scenario of `seed`. */
export function randomScenario(seed: number): Scenario {
  const r = new Rand(seed);
  return r.chance(0.75) ? socketScenario(seed, r) : threadScenario(seed, r);
}
