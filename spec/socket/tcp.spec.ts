import { expect } from "chai";
import { Copas, DEFAULT_RECV_BUFFER, DEFAULT_SEND_BUFFER, type TcpSocket } from "copas";
import type { ManualClock } from "copas/sim";
import { listen, pair, rawPair, received } from "../helpers/net.js";
import { blackholeNetwork } from "../helpers/network.js";
import { Signals } from "../helpers/signals.js";
import { autoClock, idled } from "../helpers/run.js";

function fake(auto = false): [Copas, ManualClock] {
  const clock = autoClock(0, auto);
  return [new Copas({ clock }), clock];
}

/** Every byte value once, as a Lua string (one char per byte). */
const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");

/** A connected pair where `b` already holds `data` (sent by `a`). */
async function holding(copas: Copas, data: string | Uint8Array): Promise<[TcpSocket, TcpSocket]> {
  const [a, b] = await pair(copas);
  a.send(data);
  await received(b, typeof data === "string" ? Buffer.byteLength(data, "latin1") : data.length);
  return [a, b];
}

describe("tcp", () => {
  let copas: Copas;
  let clock: ManualClock;
  const open: TcpSocket[] = [];

  beforeEach(() => {
    [copas, clock] = fake();
  });

  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });

  /** Resolves once a thread waits to send with nothing else to do (the buffers are full). */
  async function untilSenderWaits(loop: Promise<void>): Promise<void> {
    const ended = loop.then(() => "ended");
    while (copas.status().write === 0) {
      if ((await Promise.race([idled(clock), ended])) === "ended") throw new Error("the loop ended first");
    }
  }

  /** A pair closed after the test. */
  async function pairOf(data?: string | Uint8Array): Promise<[TcpSocket, TcpSocket]> {
    const p = data === undefined ? await pair(copas) : await holding(copas, data);
    open.push(...p);
    return p;
  }

  describe("receive patterns (the socket's own non-blocking receive)", () => {
    it('"*l" gives lines without "\\n", dropping every "\\r"', async () => {
      const [, b] = await pairOf("one\r\ntw\ro\n\nlast");
      expect(b.receive("*l")).to.deep.equal(["one", null, null]);
      expect(b.receive("l")).to.deep.equal(["two", null, null]);
      expect(b.receive()).to.deep.equal(["", null, null]);
      expect(b.receive()).to.deep.equal([null, "timeout", "last"]);
    });

    it('"*l" continues from a partial result passed back as the prefix', async () => {
      const [a, b] = await pairOf("hel");
      const [, err, part] = b.receive();
      expect([err, part]).to.deep.equal(["timeout", "hel"]);
      a.send("lo\nrest");
      await received(b, 8);
      expect(b.receive("*l", part)).to.deep.equal(["hello", null, null]);
      expect(b.dirty()).to.equal(true);
    });

    it('"*a" reads until the peer closes; "closed" when nothing came', async () => {
      const [a, b] = await pairOf("abc");
      expect(b.receive("*a")).to.deep.equal([null, "timeout", "abc"]);
      const ended = new Promise((r) => (b._stream as unknown as NodeJS.EventEmitter).once("end", r));
      a.send("def");
      a.close();
      await ended;
      expect(b.receive("*a", "pre:")).to.deep.equal(["pre:def", null, null]);
      expect(b.receive("*a")).to.deep.equal([null, "closed", ""]);
      // Nothing new in this call: "closed", the prefix as the partial result (as LuaSocket).
      expect(b.receive("*a", "abc")).to.deep.equal([null, "closed", "abc"]);
    });

    it("a byte count includes the prefix's length (receive(5, 'ab') reads 3 more)", async () => {
      const [, b] = await pairOf("cdefghij");
      expect(b.receive(5, "ab")).to.deep.equal(["abcde", null, null]);
      expect(b.receive(2, "xyz")).to.deep.equal(["xyz", null, null]); // prefix already long enough
      expect(b.receive(0)).to.deep.equal(["", null, null]);
      expect(b.receive(2)).to.deep.equal(["fg", null, null]);
      expect(b.receive(10, "p")).to.deep.equal([null, "timeout", "phij"]);
      expect(b.dirty()).to.equal(false);
    });

    it("rejects bad patterns with a TypeError naming the argument", async () => {
      const [, b] = await pairOf();
      for (const p of ["*x", -1, NaN, {}, "5"]) {
        expect(() => b.receive(p as never)).to.throw(TypeError, "'pattern'");
      }
    });
  });

  describe("encodings and binary data", () => {
    it("round-trips all 256 byte values as latin1 strings (the default)", async () => {
      const [a, b] = await pairOf();
      expect(b.getencoding()).to.equal("latin1");
      expect(a.send(ALL_BYTES)).to.deep.equal([256, null, null]);
      await received(b, 256);
      expect(b.receive(256)).to.deep.equal([ALL_BYTES, null, null]);
    });

    it("round-trips all 256 byte values as Buffers with the 'buffer' encoding", async () => {
      const [a, b] = await pairOf();
      a.setencoding("buffer");
      b.setencoding("buffer");
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      expect(a.send(bytes)).to.deep.equal([256, null, null]);
      await received(b, 256);
      const [got] = b.receive(256);
      expect(Buffer.isBuffer(got)).to.equal(true);
      expect(Buffer.compare(got as Buffer, bytes)).to.equal(0);
    });

    it("round-trips every code point 0-255 (and more) as UTF-8 with the 'utf8' encoding", async () => {
      const [a, b] = await pairOf();
      a.setencoding("utf8");
      b.setencoding("utf8");
      const text = ALL_BYTES + "€ 漢字";
      const bytes = Buffer.byteLength(text, "utf8");
      expect(a.send(text)).to.deep.equal([bytes, null, null]);
      await received(b, bytes);
      expect(b.receive(bytes)).to.deep.equal([text, null, null]); // a count of bytes
    });

    it("sends Uint8Array data on a latin1 socket as bytes", async () => {
      const [a, b] = await pairOf();
      a.send(new Uint8Array([0, 255, 10]));
      await received(b, 3);
      expect(b.receive(3)).to.deep.equal(["\x00\xff\n", null, null]);
    });

    it("rejects a bad encoding", async () => {
      const [a] = await pairOf();
      expect(() => a.setencoding("ascii" as never)).to.throw(TypeError, "'enc'");
    });
  });

  describe("send indexes (1-based, inclusive, negative from the end)", () => {
    const cases: [number | undefined, number | undefined, string, number][] = [
      [undefined, undefined, "abcdef", 6],
      [2, 4, "bcd", 4],
      [-3, undefined, "def", 6],
      [3, -2, "cde", 5],
      [1, 100, "abcdef", 6],
      [-100, 2, "ab", 2],
      [5, 3, "", 4],
    ];
    for (const [i, j, sent, last] of cases) {
      it(`send("abcdef", ${i}, ${j}) sends "${sent}" and gives ${last}`, async () => {
        const [a, b] = await pairOf();
        expect(a.send("abcdef", i, j)).to.deep.equal([last, null, null]);
        a.send("|");
        await received(b, sent.length + 1);
        expect(b.receive(sent.length + 1)).to.deep.equal([sent + "|", null, null]);
      });
    }

    it("copas.send takes the same indexes", async () => {
      const [a, b] = await pairOf();
      copas.addthread(function* () {
        expect(yield* copas.send(a, "0123456789", 4, -4)).to.deep.equal([7, null, null]);
      });
      await copas.loop();
      await received(b, 4);
      expect(b.receive(4)).to.deep.equal(["3456", null, null]);
    });
  });

  describe("the socket object", () => {
    it("toString gives tcp{master}, tcp{client}, tcp{server}, tcp{closed}", async () => {
      const m = copas.socket.tcp();
      expect(String(m)).to.equal("tcp{master}");
      const [server] = await listen(copas);
      expect(String(server)).to.equal("tcp{server}");
      const [a] = await pairOf();
      expect(String(a)).to.equal("tcp{client}");
      server.close();
      m.close();
      expect(String(server)).to.equal("tcp{closed}");
    });

    it("getsockname and getpeername give [ip, port, family] of each end", async () => {
      const [a, b] = await pairOf();
      const [ip, port, fam] = a.getsockname();
      expect([ip, fam]).to.deep.equal(["127.0.0.1", "inet"]);
      expect(port).to.be.a("number").greaterThan(0);
      expect(b.getpeername()).to.deep.equal(a.getsockname());
      expect(a.getpeername()).to.deep.equal(b.getsockname());
      expect(copas.socket.tcp().getpeername()).to.deep.equal([null, "not connected"]);
    });

    it("getstats counts bytes received and sent, and the age on the network's clock", async () => {
      const [a, b] = await pairOf();
      clock.advance(2);
      a.send("12345");
      await received(b, 5);
      expect(a.getstats()).to.deep.equal([0, 5, 2]);
      expect(b.getstats()).to.deep.equal([5, 0, 2]);
      expect(a.setstats(10, 20, 30)).to.equal(1);
      expect(a.getstats()).to.deep.equal([10, 20, 30]);
    });

    it("dirty tells whether unread data waits", async () => {
      const [a, b] = await pairOf();
      expect(b.dirty()).to.equal(false);
      a.send("x");
      await received(b, 1);
      expect(b.dirty()).to.equal(true);
      b.receive(1);
      expect(b.dirty()).to.equal(false);
    });

    it("setoption/getoption for LuaSocket's options and the buffer bounds", async () => {
      const [a] = await pairOf();
      expect(a.getoption("tcp-nodelay")).to.deep.equal([false, null]);
      expect(a.setoption("tcp-nodelay", true)).to.deep.equal([1, null]);
      expect(a.getoption("tcp-nodelay")).to.deep.equal([true, null]);
      expect(a.setoption("keepalive", true)).to.deep.equal([1, null]);
      expect(a.getoption("keepalive")).to.deep.equal([true, null]);
      expect(a.setoption("reuseaddr", false)).to.deep.equal([1, null]);
      expect(a.setoption("linger", { on: true, timeout: 5 })).to.deep.equal([1, null]);
      expect(a.getoption("linger")).to.deep.equal([{ on: true, timeout: 5 }, null]);
      expect(a.getoption("send-buffer-size")).to.deep.equal([DEFAULT_SEND_BUFFER, null]);
      expect(a.getoption("recv-buffer-size")).to.deep.equal([DEFAULT_RECV_BUFFER, null]);
      a.setoption("send-buffer-size", 100);
      expect(a.getoption("send-buffer-size")).to.deep.equal([100, null]);
      expect(() => a.setoption("bogus", 1)).to.throw(TypeError, "'name'");
      expect(() => a.getoption("bogus")).to.throw(TypeError, "'name'");
      expect(() => a.setoption("linger", 5)).to.throw(TypeError, "'value'");
      expect(() => a.setoption(5 as never, 1)).to.throw(TypeError, "'name'");
    });

    it('shutdown("send") half-closes: the peer reads what was sent, then "closed"', async () => {
      const [a, b] = await pairOf();
      a.send("last words\n");
      expect(a.shutdown("send")).to.equal(1);
      await copas.socket.select([b], null);
      let r = b.receive("*a");
      let got = "";
      while (r[1] === "timeout") {
        got += r[2] as string; // latin1: strings
        await copas.socket.select([b], null);
        r = b.receive("*a");
      }
      expect(got + ((r[0] as string | null) ?? "")).to.equal("last words\n");
      // a can still receive after shutting down its sending side.
      b.send("reply\n");
      await received(a, 6);
      expect(a.receive()).to.deep.equal(["reply", null, null]);
    });

    it('shutdown("receive") still serves unread data, then "closed"; shutdown() does both; bad modes throw', async () => {
      const [a, b] = await pairOf("unread\n");
      expect(b.shutdown("receive")).to.equal(1);
      expect(b.receive()).to.deep.equal(["unread", null, null]);
      expect(b.receive()).to.deep.equal([null, "closed", ""]);
      expect(a.shutdown()).to.equal(1);
      expect(() => a.shutdown("sideways" as never)).to.throw(TypeError, "'mode'");
    });

    it('gives [null, "closed"] for every operation on a closed socket', async () => {
      const [a] = await pairOf();
      expect(a.close()).to.equal(1);
      expect(a.close()).to.equal(1);
      expect(a.receive()).to.deep.equal([null, "closed", ""]);
      expect(a.send("x")).to.deep.equal([null, "closed", 0]);
      expect(a.getsockname()).to.deep.equal([null, "closed"]);
      expect(a.getpeername()).to.deep.equal([null, "closed"]);
      expect(a.connect("127.0.0.1", 1)).to.deep.equal([null, "closed"]);
      expect(a.bind("127.0.0.1", 0)).to.deep.equal([null, "closed"]);
      expect(await a.listen()).to.deep.equal([null, "closed"]);
      const [server] = await listen(copas);
      server.close();
      expect(server.accept()).to.deep.equal([null, "closed"]);
      copas.addthread(function* () {
        expect(yield* copas.receive(a)).to.deep.equal([null, "closed", ""]);
        expect(yield* copas.send(a, "x")).to.deep.equal([null, "closed", 0]);
        expect(yield* copas.connect(a, "127.0.0.1", 1)).to.deep.equal([null, "closed"]);
      });
      await copas.loop();
    });

    it("settimeout on the object only records the value (it never blocks)", () => {
      const m = copas.socket.tcp();
      expect(m.gettimeout()).to.equal(-1);
      expect(m.settimeout(5)).to.equal(1);
      expect(m.gettimeout()).to.equal(5);
      expect(() => m.settimeout("x" as never)).to.throw(TypeError, "'value'");
      m.close();
    });
  });

  describe("copas ops over TCP", () => {
    it("serves 20 clients talking at once", async () => {
      const [server, port] = await listen(copas);
      copas.addserver(server, function* (skt: TcpSocket) {
        for (;;) {
          const [line, err] = yield* copas.receive(skt);
          if (err !== null) return;
          yield* copas.send(skt, line + "/" + copas.getthreadname() + "\n");
        }
      });
      const results: string[][] = [];
      let done = 0;
      for (let c = 0; c < 20; c++) {
        copas.addthread(function* () {
          const skt = copas.wrap(copas.socket.tcp());
          expect(yield* skt.connect("127.0.0.1", port)).to.deep.equal([1, null]);
          const mine: string[] = [];
          for (let i = 0; i < 25; i++) {
            yield* skt.send(`c${c}m${i}\n`);
            const [line] = yield* skt.receive();
            mine.push(line!);
          }
          results[c] = mine;
          skt.close();
          if (++done === 20) copas.removeserver(server);
        });
      }
      await copas.loop();
      for (let c = 0; c < 20; c++) {
        const handler = results[c]![0]!.split("/")[1]!;
        expect(handler).to.match(/^tcp\{server\}:handler_\d+$/);
        expect(results[c]).to.deep.equal(Array.from({ length: 25 }, (_, i) => `c${c}m${i}/${handler}`));
      }
    });

    /**
     * A raw client writes `bytes` one at a time (each waited for at the copas socket), then
     * closes, while a thread runs `reads` on the accepted socket; gives the reads' results.
     */
    async function dribble(bytes: Buffer, enc: "latin1" | "utf8", reads: (b: TcpSocket) => Generator<unknown, unknown[], unknown>): Promise<unknown[]> {
      const [raw, b] = await rawPair(copas);
      open.push(b);
      b.setencoding(enc);
      let got: unknown[] = [];
      copas.addthread(function* () {
        got = yield* reads(b);
      });
      const loop = copas.loop();
      for (let i = 0; i < bytes.length; i++) {
        raw.write(bytes.subarray(i, i + 1));
        await received(b, i + 1);
      }
      raw.end();
      await loop;
      raw.destroy();
      return got;
    }

    it("assembles data arriving one byte at a time", async () => {
      const got = await dribble(Buffer.from("hel\r\nlo\nabcdeXYZZY", "latin1"), "latin1", function* (b) {
        return [
          yield* copas.receive(b, "*l"),
          yield* copas.receive(b, "*l"),
          yield* copas.receive(b, 5),
          yield* copas.receive(b, 4, "pr"),
          yield* copas.receive(b, "*a"),
        ];
      });
      expect(got).to.deep.equal([
        ["hel", null, null],
        ["lo", null, null],
        ["abcde", null, null],
        ["prXY", null, null],
        ["ZZY", null, null],
      ]);
    });

    it("assembles UTF-8 characters split across arrivals (utf8 encoding)", async () => {
      const got = await dribble(Buffer.from("héllo €\n€漢x😀end", "utf8"), "utf8", function* (b) {
        return [
          yield* copas.receive(b, "*l"),
          yield* copas.receive(b, 7), // bytes: "€" is 3, "漢" is 3, "x" 1
          yield* copas.receive(b, "*a"),
        ];
      });
      expect(got).to.deep.equal([
        ["héllo €", null, null],
        ["€漢x", null, null],
        ["😀end", null, null],
      ]);
    });

    it("keeps 100 one-byte arrivals in order when they are read later, spanning chunks", async () => {
      const [raw, b] = await rawPair(copas);
      open.push(b);
      let expected = "";
      for (let i = 0; i < 100; i++) {
        const c = String.fromCharCode(33 + i);
        expected += c;
        raw.write(c, "latin1");
        await received(b, i + 1);
      }
      raw.destroy();
      let got = "";
      for (let i = 0; i < 10; i++) got += b.receive(i === 0 ? 3 : i === 9 ? 25 : 9)[0] as string;
      expect(got).to.equal(expected);
    });

    it('"*a" over copas gives everything sent before the close, however it was chunked', async () => {
      const [raw, b] = await rawPair(copas);
      open.push(b);
      let got: unknown = null;
      copas.addthread(function* () {
        got = yield* copas.receive(b, "*a");
      });
      const loop = copas.loop();
      for (const part of ["a", "bc", "def"]) {
        raw.write(part);
        await received(b, b.getstats()[0] + part.length);
      }
      raw.end();
      await loop;
      raw.destroy();
      expect(got).to.deep.equal(["abcdef", null, null]);
    });

    it("receives a line and a byte count far over the receive bound", async () => {
      const [a, b] = await pairOf();
      const line = "L".repeat(1_000_000);
      const got: unknown[] = [];
      copas.addthread(function* () {
        yield* copas.send(a, line + "\n" + "B".repeat(500_000) + "tail");
      });
      copas.addthread(function* () {
        const [l] = yield* copas.receive(b);
        got.push(l === line);
        const [c] = yield* copas.receive(b, 500_000);
        got.push(c === "B".repeat(500_000));
        got.push(yield* copas.receive(b, 4));
      });
      await copas.loop();
      expect(got).to.deep.equal([true, true, ["tail", null, null]]);
    });

    it("serves several readers of one socket in the order they came", async () => {
      const [a, b] = await pairOf();
      const got: unknown[] = [];
      for (const n of ["x", "y", "z"]) {
        copas.addthread(function* () {
          got.push([n, (yield* copas.receive(b))[0]]);
        });
      }
      copas.addthread(function* () {
        yield* copas.pause(0);
        yield* copas.send(a, "1\n2\n3\n");
      });
      await copas.loop();
      expect(got).to.deep.equal([["x", "1"], ["y", "2"], ["z", "3"]]);
    });

    it("a connect in progress sees 'closed' when another thread closes the socket", async () => {
      const [server, port] = await listen(copas);
      open.push(server);
      const m = copas.socket.tcp();
      let got: unknown = null;
      copas.addthread(function* () {
        got = yield* copas.connect(m, "127.0.0.1", port);
      });
      copas.addthread(function* () {
        copas.close(m);
      });
      await copas.loop();
      expect(got).to.deep.equal([null, "closed"]);
    });

    it("receivepartial returns as soon as some data is there", async () => {
      const [, b] = await pairOf("abc");
      let got: unknown = null;
      copas.addthread(function* () {
        got = yield* copas.receivepartial(b, 100);
      });
      await copas.loop();
      expect(got).to.deep.equal([null, "timeout", "abc"]);
    });

    it("gives each client the server's copas timeout (addserver's timeout)", async () => {
      [copas, clock] = fake(true);
      const [server, port] = await listen(copas);
      let got: unknown = null;
      copas.addserver(
        server,
        function* (skt: TcpSocket) {
          got = [yield* copas.receive(skt), copas.gettime()];
        },
        2.5,
      );
      const c = copas.socket.tcp();
      open.push(c);
      copas.addthread(function* () {
        yield* copas.connect(c, "127.0.0.1", port);
        while (got === null) yield* copas.pause(1);
        copas.removeserver(server);
      });
      await copas.loop();
      expect(got).to.deep.equal([[null, "timeout", ""], 2.5]);
    });

    it("removeserver(server, true) stops serving but keeps the socket open", async () => {
      const [server] = await listen(copas);
      open.push(server);
      copas.addserver(server, function* () {});
      expect(copas.status().read).to.equal(1);
      expect(copas.removeserver(server, true)).to.equal(true);
      expect(copas.status().read).to.equal(0);
      expect(String(server)).to.equal("tcp{server}");
      expect(copas.removeserver(server)).to.equal(1);
      expect(String(server)).to.equal("tcp{closed}");
    });

    it("connects with copas.connect, and reports 'connection refused' for a closed port", async () => {
      const [server, port] = await listen(copas);
      server.close();
      const m = copas.socket.tcp();
      open.push(m);
      let r: unknown = null;
      copas.addthread(function* () {
        r = yield* copas.connect(m, "127.0.0.1", port);
      });
      await copas.loop();
      expect(r).to.deep.equal([null, "connection refused"]);
    });

    it("connecting twice says 'already connected'", async () => {
      const [server, port] = await listen(copas);
      open.push(server);
      const m = copas.socket.tcp();
      open.push(m);
      const got: unknown[] = [];
      copas.addthread(function* () {
        got.push(yield* copas.connect(m, "127.0.0.1", port));
        got.push(yield* copas.connect(m, "127.0.0.1", port));
      });
      await copas.loop();
      expect(got).to.deep.equal([[1, null], [null, "already connected"]]);
    });
  });

  describe("timeouts (copas.settimeout / settimeouts)", () => {
    it("receive times out with the partial data", async () => {
      [copas, clock] = fake(true);
      const [, b] = await pairOf("abc");
      expect(copas.settimeout(b, 1.5)).to.equal(true);
      const got: unknown[] = [];
      copas.addthread(function* () {
        got.push(yield* copas.receive(b));
        got.push(copas.gettime());
        got.push(yield* copas.receive(b, 10, "xy"));
      });
      await copas.loop();
      expect(got).to.deep.equal([[null, "timeout", "abc"], 1.5, [null, "timeout", "xy"]]);
    });

    it("settimeouts sets one kind only; null leaves a kind unchanged, negative removes it", async () => {
      [copas, clock] = fake(true);
      const [a, b] = await pairOf();
      expect(copas.settimeouts(b, null, null, 2)).to.equal(true);
      copas.settimeouts(b, 5, 5, null); // receive stays 2
      const got: unknown[] = [];
      copas.addthread(function* () {
        got.push(yield* copas.receive(b));
        got.push(copas.gettime());
        got.push(yield* copas.send(b, "x")); // a send that fits: no wait at all
      });
      await copas.loop();
      expect(got).to.deep.equal([[null, "timeout", ""], 2, [1, null, null]]);
      copas.settimeouts(b, null, null, -1);
      copas.addthread(function* () {
        got.push(yield* copas.receive(b));
      });
      const waiting = idled(clock); // the loop may go idle inside loop(): listen first
      const loop = copas.loop();
      await waiting; // no timer: the loop waits for data
      a.send("late\n");
      await loop;
      expect(got[3]).to.deep.equal(["late", null, null]);
    });

    it("usesockettimeouterrors keeps the socket's own error for a copas timeout", async () => {
      [copas, clock] = fake(true);
      const [, b] = await pairOf();
      copas.settimeout(b, 1);
      let got: unknown = null;
      copas.addthread(function* () {
        copas.usesockettimeouterrors(true);
        got = yield* copas.receive(b);
      });
      await copas.loop();
      expect(got).to.deep.equal([null, "timeout", ""]);
    });

    it("connect times out on a connection that never completes", async () => {
      const net = blackholeNetwork(clock);
      clock.autoAdvance = true;
      const c = new Copas({ network: net });
      const m = c.socket.tcp();
      c.settimeouts(m, 3, null, null);
      const got: unknown[] = [];
      c.addthread(function* () {
        got.push(yield* c.connect(m, "127.0.0.1", 9));
        got.push(c.gettime(), c.status().write);
      });
      await c.loop();
      m.close();
      expect(got).to.deep.equal([[null, "timeout"], 3, 0]);
      expect(net.streams).to.have.length(1);
      expect(net.streams[0]!.destroyed).to.equal(true);
    });

    it("a socket is usable again after a timed-out receive: no stale waiter (Copas #208)", async () => {
      const [a, b] = await pairOf("abc");
      copas.settimeout(b, 1);
      const sig = new Signals();
      const got: unknown[] = [];
      copas.addthread(function* () {
        sig.emit("receiving");
        got.push(yield* copas.receive(b));
        got.push(copas.status().read);
        sig.emit("timed out");
        got.push(yield* copas.receive(b));
      });
      const loop = copas.loop();
      await sig.wait("receiving");
      clock.advance(1);
      await sig.wait("timed out");
      a.send("def\n");
      await loop;
      expect(got).to.deep.equal([[null, "timeout", "abc"], 0, ["def", null, null]]);
    });

    it("another thread can read a socket whose reader timed out", async () => {
      const [a, b] = await pairOf();
      copas.settimeout(b, 1);
      const sig = new Signals();
      const got: unknown[] = [];
      copas.addthread(function* () {
        sig.emit("first waits");
        got.push(yield* copas.receive(b));
        copas.addthread(function* () {
          sig.emit("second waits");
          got.push(yield* copas.receive(b));
        });
      });
      const loop = copas.loop();
      await sig.wait("first waits");
      clock.advance(1);
      await sig.wait("second waits");
      a.send("for two\n");
      await loop;
      expect(got).to.deep.equal([[null, "timeout", ""], ["for two", null, null]]);
    });
  });

  describe("closing while a thread waits", () => {
    it("the peer closing wakes a waiting reader with 'closed' and the partial data", async () => {
      const [a, b] = await pairOf("part");
      let got: unknown = null;
      copas.addthread(function* () {
        got = yield* copas.receive(b);
      });
      const loop = copas.loop();
      await idled(clock);
      a.close();
      await loop;
      expect(got).to.deep.equal([null, "closed", "part"]);
    });

    it("closing locally wakes threads waiting on both ends with 'closed'", async () => {
      const [a, b] = await pairOf();
      const got: unknown[] = [];
      copas.addnamedthread("reader b", function* () {
        got.push(["b", yield* copas.receive(b)]);
      });
      copas.addnamedthread("reader a", function* () {
        got.push(["a", yield* copas.receive(a)]);
      });
      copas.addthread(function* () {
        yield* copas.pause(0);
        copas.close(b);
      });
      await copas.loop();
      expect(got).to.have.deep.members([
        ["b", [null, "closed", ""]],
        ["a", [null, "closed", ""]],
      ]);
    });

    it("closing a socket wakes its blocked reader and blocked writer at once (Copas's close test)", async () => {
      [copas, clock] = fake(true);
      const [a, b] = await pairOf(); // b's peer never reads
      const got: unknown[] = [];
      copas.addthread(function* () {
        const [d, err] = yield* copas.receive(a, 1);
        got.push(["receive", d, err, copas.gettime()]);
      });
      copas.addthread(function* () {
        let r: unknown[] = [1];
        while (r[0] !== null) r = yield* copas.send(a, "hello world".repeat(1000));
        got.push(["send", r[0], r[1], copas.gettime()]);
      });
      copas.addthread(function* () {
        while (copas.status().write === 0) yield* copas.pause(1);
        copas.close(a);
      });
      await copas.loop();
      const t = (got[0] as unknown[])[3];
      expect(got).to.have.deep.members([
        ["receive", null, "closed", t],
        ["send", null, "closed", t],
      ]);
      void b;
    });

    it("a sender waiting on a full buffer sees 'closed' when the peer goes away", async () => {
      const [a, b] = await pairOf();
      a.setoption("send-buffer-size", 4096);
      let got: [number | null, string | null, number | null] | null = null;
      const big = "z".repeat(64 * 1024 * 1024);
      copas.addthread(function* () {
        got = yield* copas.send(a, big);
      });
      const loop = copas.loop();
      await untilSenderWaits(loop);
      b.close();
      await loop;
      expect(got![0]).to.equal(null);
      expect(got![1]).to.equal("closed");
      expect(got![2]).to.be.within(1, big.length - 1);
    });
  });

  describe("data that send accepted", () => {
    it("reaches the peer when the handler then fails and its socket is autoclosed", async () => {
      const [server, port] = await listen(copas);
      const errs: unknown[] = [];
      copas.seterrorhandler((e) => errs.push(String(e)), true);
      const big = "d".repeat(3 * 1024 * 1024) + "END";
      copas.addserver(server, function* (skt: TcpSocket) {
        yield* copas.send(skt, big);
        throw new Error("after send");
      });
      let got: unknown = null;
      copas.addthread(function* () {
        const c = copas.wrap(copas.socket.tcp());
        yield* c.connect("127.0.0.1", port);
        got = yield* c.receive("*a");
        c.close();
        copas.removeserver(server);
      });
      await copas.loop();
      expect(errs).to.deep.equal(["Error: after send"]);
      expect((got as string[])[0] === big).to.equal(true);
    });
  });

  describe("a peer that stops reading", () => {
    it("makes send wait, and report 'timeout' under a timeout, with both buffers bounded", async () => {
      const [a, b] = await pairOf();
      const limit = 16 * 1024;
      a.setoption("send-buffer-size", limit);
      b.setoption("recv-buffer-size", limit);
      // Watch every write the sender makes: the unsent data never passes the bound.
      const stream = a._stream!;
      const write = stream.write.bind(stream);
      let maxUnsent = 0;
      let writes = 0;
      (stream as { write: typeof write }).write = (d, enc, cb) => {
        const r = write(d, enc, cb);
        writes++;
        maxUnsent = Math.max(maxUnsent, stream.writableLength);
        return r;
      };
      copas.settimeout(a, 10);
      const total = 64 * 1024 * 1024;
      let got: [number | null, string | null, number | null] | null = null;
      let waitersLeft = -1;
      copas.addthread(function* () {
        got = yield* copas.send(a, "q".repeat(total));
        waitersLeft = copas.status().write;
      });
      const loop = copas.loop();
      // Once the sender is parked with nothing else to do, the kernel buffers are full.
      await untilSenderWaits(loop);
      await received(b, 1); // and data has reached the reader's side
      clock.advance(10);
      await loop;
      expect(got![1]).to.equal("timeout");
      expect(got![2]).to.be.within(limit, total - 1);
      expect(waitersLeft).to.equal(0); // no stale waiter on the socket (#208)
      expect(writes).to.be.greaterThan(1);
      expect(maxUnsent).to.be.at.most(limit);
      const [unread] = b.getstats();
      expect(unread).to.be.at.most(limit + 64 * 1024); // the bound plus one chunk from the OS
      expect(b.dirty()).to.equal(true);
    });

    it("loses nothing: a sender without timeout waits until the reader drains it", async () => {
      const [a, b] = await pairOf();
      const total = 32 * 1024 * 1024; // more than the kernel's buffers hold
      const data = Buffer.alloc(total);
      for (let i = 0; i < total; i++) data[i] = (i * 7) & 255;
      const payload = data.toString("latin1");
      let sent: unknown = null;
      let got: string | null = null;
      const reader = copas.addthread(function* () {
        yield* copas.pauseforever();
        const [d] = yield* copas.receive(b, total);
        got = d;
      });
      copas.addthread(function* () {
        sent = yield* copas.send(a, payload);
      });
      const loop = copas.loop();
      await untilSenderWaits(loop);
      expect(sent).to.equal(null); // still waiting
      copas.wakeup(reader);
      await loop;
      expect(sent).to.deep.equal([total, null, null]);
      expect(got === payload).to.equal(true);
    });
  });
});
