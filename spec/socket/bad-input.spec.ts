// Property tests (fast-check, fixed seeds and run counts, so every run is the same) over the bad
// inputs of the TCP and UDP objects (issue 10): wrong types, NaN, infinities, negative and huge
// numbers, CR/LF strings. Every call throws a TypeError naming an argument or returns a result
// tuple; none crashes the process, hangs, or quietly takes a value it should refuse.

import { expect } from "chai";
import fc from "fast-check";
import { Copas, type TcpSocket, type UdpSocket } from "copas";
import { ManualClock } from "copas/sim";
import { pair } from "../helpers/net.js";

const SEED = 20_240_910;

/** Values that are wrong somewhere: every type, the awkward numbers, protocol-breaking strings. */
const hostile = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -1, -0, 0, 0.5, 1.5, 2 ** 31, 2 ** 53, 1e300, -1e300, Number.MAX_VALUE),
  fc.integer(),
  fc.double(),
  fc.constantFrom("", "\r\n", "a\r\nb", "*l\r\n", "\n", "\x00", "✓", "ü", "*", "*x", "5", " 1 ", "l", "a", "*l", "*a", "*line"),
  fc.constantFrom("both", "send", "receive", "latin1", "utf8", "buffer", "127.0.0.1", "host\r\nX-Injected: 1", "*"),
  fc.constantFrom("tcp-nodelay", "keepalive", "linger", "send-buffer-size", "recv-buffer-size", "max-line-size", "max-receive-size", "recv-backlog", "broadcast"),
  fc.string({ maxLength: 12 }),
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.constantFrom({}, [], { on: true, timeout: NaN }, { on: 1, timeout: 1 }, { on: true, timeout: 1 }, { multiaddr: "\r\n" }),
  fc.uint8Array({ maxLength: 8 }),
  fc.constant(Symbol("s")),
  fc.constant(10n),
);

/** Checks one call: a TypeError that names an argument, or a result of an accepted shape. */
async function call(fn: () => unknown): Promise<"threw" | "returned"> {
  let r: unknown;
  try {
    r = fn();
  } catch (e) {
    expect(e).to.be.instanceOf(TypeError);
    expect((e as Error).message).to.match(/bad argument '[a-z]+'/);
    return "threw";
  }
  if (r instanceof Promise) r = await r; // the only Promises here settle at once (no network)
  const ok = Array.isArray(r) || r === 1 || typeof r === "boolean" || typeof r === "string";
  expect(ok, `result ${String(r)}`).to.equal(true);
  return "returned";
}

/** A call (method name, arguments) on a TCP client; no connect or listen (they would use the network). */
const tcpCall = fc.tuple(
  fc.constantFrom("receive", "send", "setoption", "getoption", "shutdown", "setstats", "settimeout", "setencoding", "bind", "getsockname", "getpeername", "dirty", "getstats", "accept"),
  fc.array(hostile, { maxLength: 3 }),
);

/** A call on a bound UDP object; destinations are refused before the network is used, or local. */
const udpCall = fc.tuple(
  fc.constantFrom("receive", "receivefrom", "send", "sendto", "setoption", "getoption", "setencoding", "settimeout", "getsockname", "getpeername", "dirty", "getstats", "setstats"),
  fc.array(hostile, { maxLength: 3 }),
);

describe("socket: bad inputs (fast-check properties, issue 10)", () => {
  let copas: Copas;

  beforeEach(() => {
    copas = new Copas({ clock: new ManualClock(0) });
  });

  it("any call on a connected TCP object: a TypeError or a result tuple; the connection still works", async function () {
    this.timeout(60_000);
    await fc.assert(
      fc.asyncProperty(fc.array(tcpCall, { minLength: 1, maxLength: 8 }), async (calls) => {
        const [a, b] = await pair(copas);
        try {
          for (const [name, args] of calls) {
            // getoption/setoption of a real name with a value: also fine; an unknown name: TypeError.
            await call(() => (b as unknown as Record<string, (...x: unknown[]) => unknown>)[name]!(...args));
          }
          // The peer is unharmed, and so is b unless the calls closed or shut it.
          expect(a.send("ping\n")).to.deep.equal([5, null, null]);
        } finally {
          a.close();
          b.close();
        }
      }),
      { seed: SEED, numRuns: 40, endOnFailure: true },
    );
  });

  it("any call on a bound UDP object: a TypeError or a result tuple", async function () {
    this.timeout(60_000);
    const u = copas.socket.udp();
    expect(await u.setsockname("127.0.0.1", 0)).to.deep.equal([1, null]);
    try {
      await fc.assert(
        fc.asyncProperty(udpCall, async ([name, args]) => {
          // sendto's destination: only 127.0.0.1, or refused at once; never a name to resolve.
          if (name === "sendto" && typeof args[1] === "string" && args[1] !== "127.0.0.1" && !/[\x00-\x20\x7f]/.test(args[1])) return;
          await call(() => (u as unknown as Record<string, (...x: unknown[]) => unknown>)[name]!(...args));
        }),
        { seed: SEED, numRuns: 400, endOnFailure: true },
      );
    } finally {
      u.close();
    }
  });

  describe("a value that must be refused is refused", () => {
    let a: TcpSocket;
    let b: TcpSocket;
    let u: UdpSocket;

    before(async () => {
      copas = new Copas({ clock: new ManualClock(0) });
      [a, b] = await pair(copas);
      u = copas.socket.udp();
      await u.setsockname("127.0.0.1", 0);
    });

    after(() => {
      a.close();
      b.close();
      u.close();
    });

    const notANumber = fc.oneof(fc.string(), fc.boolean(), fc.object(), fc.constant(NaN), fc.uint8Array(), fc.constant(Symbol("x")));
    const infinite = fc.constantFrom(Infinity, -Infinity);
    const negative = fc.double({ max: -Number.MIN_VALUE, noNaN: true });
    const notBoolean = fc.oneof(fc.integer(), fc.string(), fc.object(), fc.constant(null), fc.constant(undefined), fc.constant(NaN));
    const badSize = fc.oneof(notANumber, infinite, negative, fc.constant(0), fc.double({ min: 1.0001, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x)), fc.constantFrom(2 ** 31, 2 ** 53, 1e300));
    const badPattern = fc.oneof(
      infinite,
      negative,
      fc.constant(NaN),
      fc.boolean(),
      fc.object(),
      fc.string().filter((s) => s !== "l" && s !== "a" && !s.startsWith("*l") && !s.startsWith("*a")),
    );
    const crlfHost = fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom("\r", "\n", "\r\n", "\x00", " ", "\t"), fc.string({ maxLength: 6 })).map(([x, c, y]) => x + c + y);
    const nonLatin1 = fc.tuple(fc.string({ maxLength: 5 }), fc.integer({ min: 0x100, max: 0xd7ff }), fc.string({ maxLength: 5 })).map(([x, c, y]) => x + String.fromCharCode(c) + y);

    /** `fn` must throw a TypeError naming `arg` for every generated value. */
    function refuses<T>(arb: fc.Arbitrary<T>, arg: string, fn: (v: T) => unknown): void {
      fc.assert(
        fc.property(arb, (v) => {
          expect(() => fn(v)).to.throw(TypeError, `'${arg}'`);
        }),
        { seed: SEED, numRuns: 100 },
      );
    }

    it("TCP receive: patterns and prefixes", () => {
      refuses(badPattern, "pattern", (p) => b.receive(p as never));
      refuses(fc.oneof(fc.double(), fc.boolean(), fc.object(), fc.array(fc.integer())), "prefix", (p) => b.receive("*l", p as never));
    });

    it("TCP send: data, indexes, and characters a latin1 socket cannot send", () => {
      refuses(fc.oneof(fc.double(), fc.boolean(), fc.object(), fc.constant(null), fc.constant(undefined)), "data", (d) => b.send(d as never));
      refuses(fc.oneof(notANumber, infinite), "i", (i) => b.send("x", i as never));
      refuses(fc.oneof(notANumber, infinite), "j", (j) => b.send("x", 1, j as never));
      const before = b.getstats()[1];
      refuses(nonLatin1, "data", (s) => b.send(s));
      expect(b.getstats()[1]).to.equal(before);
    });

    it("TCP setoption: booleans, sizes, linger, names", () => {
      for (const name of ["tcp-nodelay", "keepalive", "reuseaddr", "reuseport"]) refuses(notBoolean, "value", (v) => b.setoption(name, v));
      for (const name of ["send-buffer-size", "recv-buffer-size", "max-line-size", "max-receive-size"]) {
        refuses(badSize, "value", (v) => b.setoption(name, v));
      }
      refuses(
        fc.oneof(
          notBoolean,
          fc.record({ on: notBoolean, timeout: fc.nat(100) }),
          fc.record({ on: fc.boolean(), timeout: fc.oneof(notANumber, infinite, negative, fc.constant(65536)) }),
        ),
        "value",
        (v) => b.setoption("linger", v),
      );
      refuses(fc.string().filter((s) => !["tcp-nodelay", "keepalive", "reuseaddr", "reuseport", "linger", "send-buffer-size", "recv-buffer-size", "max-line-size", "max-receive-size"].includes(s)), "name", (n) => b.setoption(n, true));
      refuses(fc.oneof(fc.double(), fc.boolean(), fc.object(), fc.constant(null)), "name", (n) => b.setoption(n as never, true));
      expect(b.getoption("send-buffer-size")).to.deep.equal([64 * 1024, null]);
      expect(b.getoption("tcp-nodelay")).to.deep.equal([false, null]);
    });

    it("TCP shutdown, settimeout, setencoding, bind/connect ports", () => {
      refuses(fc.oneof(fc.string().filter((s) => !["both", "send", "receive"].includes(s)), fc.double(), fc.object(), fc.constant(null)), "mode", (m) => b.shutdown(m as never));
      refuses(fc.oneof(fc.string(), fc.boolean(), fc.object(), fc.constant(NaN)), "value", (t) => b.settimeout(t as never));
      refuses(fc.anything().filter((e) => e !== "latin1" && e !== "utf8" && e !== "buffer"), "enc", (e) => b.setencoding(e as never));
      const m = copas.socket.tcp();
      refuses(fc.oneof(notANumber.filter((p) => !(typeof p === "string" && /^\d+$/.test(p))), infinite, negative, fc.integer({ min: 65536 }), fc.constant(1.5)), "port", (p) => m.bind("127.0.0.1", p as never));
      refuses(fc.oneof(fc.double(), fc.boolean(), fc.object(), fc.constant(null)), "host", (h) => m.connect(h as never, 80));
      m.close();
    });

    it("TCP bind/connect to a host with CR/LF, NUL or a space: [null, 'host not found'] at once", () => {
      fc.assert(
        fc.property(crlfHost, (h) => {
          const m = copas.socket.tcp();
          try {
            expect(m.bind(h, 0)).to.deep.equal([null, "host not found"]);
            expect(m.connect(h, 80)).to.deep.equal([null, "host not found"]);
          } finally {
            m.close();
          }
        }),
        { seed: SEED, numRuns: 100 },
      );
    });

    it("UDP: sizes, destinations, data, options", async () => {
      refuses(fc.oneof(notANumber, infinite, negative), "size", (n) => u.receive(n as never));
      refuses(fc.oneof(notANumber, infinite, negative), "size", (n) => u.receivefrom(n as never));
      refuses(fc.oneof(fc.double(), fc.boolean(), fc.object(), fc.constant(null)), "data", (d) => u.sendto(d as never, "127.0.0.1", 9));
      refuses(nonLatin1, "data", (s) => u.sendto(s, "127.0.0.1", 9));
      refuses(fc.oneof(notANumber.filter((p) => !(typeof p === "string" && /^\d+$/.test(p))), infinite, negative, fc.integer({ min: 65536 })), "port", (p) => u.sendto("x", "127.0.0.1", p as never));
      fc.assert(
        fc.property(crlfHost, (h) => {
          expect(u.sendto("x", h, 9)).to.deep.equal([null, "host not found"]);
        }),
        { seed: SEED, numRuns: 100 },
      );
      await fc.assert(
        fc.asyncProperty(crlfHost, async (h) => {
          const v = copas.socket.udp();
          try {
            expect(await v.setpeername(h, 9)).to.deep.equal([null, "host not found"]);
            expect(await v.setsockname(h, 0)).to.deep.equal([null, "host not found"]);
          } finally {
            v.close();
          }
        }),
        { seed: SEED, numRuns: 50 },
      );
      for (const name of ["broadcast", "dontroute", "reuseaddr", "reuseport", "ipv6-v6only", "ip-multicast-loop"]) refuses(notBoolean, "value", (v) => u.setoption(name, v));
      refuses(fc.oneof(notANumber, infinite, negative, fc.integer({ min: 256 })), "value", (v) => u.setoption("ip-multicast-ttl", v));
      refuses(badSize, "value", (v) => u.setoption("recv-backlog", v));
      expect(u.getstats()[1]).to.equal(0);
    });
  });
});
