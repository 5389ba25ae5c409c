// TCP objects against LuaSocket 3.1, issue 9: every expected tuple here was first taken from real
// LuaSocket on this machine (lua5.4 + lua-socket, non-blocking sockets on 127.0.0.1), then
// checked on the port. Real sockets on 127.0.0.1 port 0; every wait is on an event (data
// counted by getstats, a stream event, a select), never on elapsed time.

import { expect } from "chai";
import { EventEmitter } from "node:events";
import net from "node:net";
import { Copas, type TcpSocket } from "copas";
import { ManualClock } from "copas/sim";
import { listen, pair, rawPair, received } from "../helpers/net.js";
import type { Network, StreamLike } from "../../lib/socket/network.js";
import { makeSocketModule } from "../../lib/socket/socket-module.js";

/** A raw Node peer that stays half-open (it keeps sending after our FIN) and the accepted socket. */
async function halfOpenPeer(copas: Copas): Promise<[net.Socket, TcpSocket]> {
  const [server, port] = await listen(copas);
  const raw = net.createConnection({ host: "127.0.0.1", port, allowHalfOpen: true });
  await new Promise<void>((r) => raw.once("connect", () => r()));
  await copas.socket.select([server], null);
  const [accepted] = server.accept();
  server.close();
  return [raw, accepted!];
}

/** Resolves at `event` on the stream under `skt` (or on a raw Node socket). */
function streamEvent(s: TcpSocket | net.Socket, event: string): Promise<void> {
  const e = ("_stream" in s ? s._stream : s) as unknown as EventEmitter;
  return new Promise((r) => e.once(event, () => r()));
}

describe("socket/tcp: LuaSocket's results (issue 9)", () => {
  let copas: Copas;
  const open: { close(): unknown }[] = [];

  beforeEach(() => {
    copas = new Copas({ clock: new ManualClock(0) });
  });

  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });

  async function pairOf(data?: string): Promise<[TcpSocket, TcpSocket]> {
    const p = await pair(copas);
    open.push(...p);
    if (data !== undefined) {
      p[0].send(data);
      await received(p[1], data.length);
    }
    return p;
  }

  /** b after its peer closed (FIN), once b has seen the end. */
  async function peerGone(data = ""): Promise<TcpSocket> {
    const [a, b] = await pairOf(data);
    const ended = streamEvent(b, "end");
    a.close();
    await ended;
    return b;
  }

  describe("1. send after the peer closed or reset", () => {
    it("after the peer's FIN the first send is taken (the kernel does), the next fails at once with nothing sent", async () => {
      const b = await peerGone();
      expect(b.receive()).to.deep.equal([null, "closed", ""]);
      // LuaSocket: send1 [1], then the peer's kernel answers with a reset: [nil, "closed", 0].
      expect(b.send("a")).to.deep.equal([1, null, null]);
      // The reset is answered to the first send; on loopback it is there when the send returns,
      // and Node only reports it a tick later. No event-loop turn between these sends.
      const results: unknown[] = [];
      for (let k = 0; k < 100_000; k++) {
        const r = b.send("x");
        results.push(r);
        if (r[0] === null) break;
      }
      expect(results.at(-1)).to.deep.equal([null, "closed", 0]);
      // Whatever was reported sent was taken by the OS; the failed ones are not counted.
      expect(b.getstats()[1]).to.equal(1 + results.length - 1);
      expect(b.send("abc", 2)).to.deep.equal([null, "closed", 1]);
    });

    it("a peer's reset: every later send fails with [null, 'closed', i - 1], never [n]", async () => {
      const [raw, b] = await rawPair(copas);
      open.push(b);
      const gone = streamEvent(b, "close");
      raw.resetAndDestroy();
      await gone;
      expect(b.send("a")).to.deep.equal([null, "closed", 0]);
      expect(b.send("abc", 2)).to.deep.equal([null, "closed", 1]);
      expect(b.receive(1)).to.deep.equal([null, "closed", ""]);
      expect(b.getstats()[1]).to.equal(0);
    });

    it("a write the OS refuses at once (Node sets `errored` synchronously) is reported 'closed', not sent", () => {
      // Node's net.Socket after a reset it has not read yet: the write's system call fails
      // (EPIPE/ECONNRESET), `errored` is set during write(), the 'error' event comes a tick later.
      class RefusingStream extends EventEmitter implements StreamLike {
        writableLength = 0;
        destroyed = false;
        errored: Error | null = null;
        writes = 0;
        override on(event: string, fn: (...a: never[]) => void): this {
          return super.on(event, fn as (...a: unknown[]) => void);
        }
        write(): boolean {
          this.writes++;
          if (this.writes > 1) this.errored = Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
          return this.errored === null;
        }
        pause(): this {
          return this;
        }
        resume(): this {
          return this;
        }
        end(): this {
          return this;
        }
        destroy(): this {
          this.destroyed = true;
          return this;
        }
        setNoDelay(): this {
          return this;
        }
        setKeepAlive(): this {
          return this;
        }
      }
      const stream = new RefusingStream();
      const network: Network = {
        kind: "real",
        clock: new ManualClock(0),
        connect: () => stream,
        listen: () => Promise.resolve([null, "permission denied"]),
      };
      const s = makeSocketModule(network).tcp();
      s.connect("127.0.0.1", 9);
      stream.emit("connect");
      expect(s.connect("127.0.0.1", 9)).to.deep.equal([1, null]);
      expect(s.send("abc")).to.deep.equal([3, null, null]);
      expect(s.send("defg", 2)).to.deep.equal([null, "closed", 1]);
      expect(s.send("x")).to.deep.equal([null, "closed", 0]);
      expect(stream.writes).to.equal(2);
      expect(s.getstats()[1]).to.equal(3);
    });
  });

  describe("2. own shutdown('send')", () => {
    it("then send fails at once with [null, 'closed', 0]; an empty range gives [0]; the peer sees the end; receive still reads", async () => {
      const [a, b] = await pairOf();
      const ended = streamEvent(a, "end");
      expect(b.shutdown("send")).to.equal(1);
      expect(b.send("abc")).to.deep.equal([null, "closed", 0]);
      expect(b.send("")).to.deep.equal([0, null, null]);
      await ended;
      expect(a.receive("*a")).to.deep.equal([null, "closed", ""]);
      a.send("reply\n");
      await received(b, 6);
      expect(b.receive("*l")).to.deep.equal(["reply", null, null]);
      expect(b.getstats()[1]).to.equal(0);
    });

    it("data sent before it is flushed before the FIN", async () => {
      const [a, b] = await pairOf();
      const ended = streamEvent(a, "end");
      b.send("last words\n");
      b.shutdown("send");
      await ended;
      expect(a.receive("*a")).to.deep.equal(["last words\n", null, null]);
    });
  });

  describe("3. shutdown('receive') and shutdown('both')", () => {
    it("'receive': what is queued is still received, then 'closed'; sending still works", async () => {
      const [a, b] = await pairOf("one\ntwo\n");
      expect(b.shutdown("receive")).to.equal(1);
      expect(b.receive("*l")).to.deep.equal(["one", null, null]);
      expect(b.receive("*l")).to.deep.equal(["two", null, null]);
      expect(b.receive("*l")).to.deep.equal([null, "closed", ""]);
      expect(b.send("x")).to.deep.equal([1, null, null]);
      await received(a, 1);
      expect(a.receive(1)).to.deep.equal(["x", null, null]);
      // Linux keeps queueing input after SHUT_RD (LuaSocket then serves it): so does the port.
      a.send("three\n");
      await received(b, 14);
      expect(b.receive("*l")).to.deep.equal(["three", null, null]);
      expect(b.receive("*l")).to.deep.equal([null, "closed", ""]);
    });

    it("'both': the queued input is served (a partial line with 'closed'), then 'closed'; no new input is taken; a large send fails with 0 sent", async () => {
      const [raw, b] = await halfOpenPeer(copas);
      open.push(b);
      raw.on("data", () => {});
      raw.write("one\ntwo");
      await received(b, 7);
      expect(b.shutdown("both")).to.equal(1);
      expect(b.receive("*l")).to.deep.equal(["one", null, null]);
      expect(b.receive("*l")).to.deep.equal([null, "closed", "two"]);
      expect(b.receive("*l")).to.deep.equal([null, "closed", ""]);
      expect(b.send("x".repeat(92 * 1024))).to.deep.equal([null, "closed", 0]);
      // New input is not taken: it stays unread, so closing resets the connection (Linux
      // resets it as the input arrives; either way the peer learns its data was not taken).
      const reset = new Promise<string>((r) => raw.once("error", (e: Error & { code?: string }) => r(e.code ?? "")));
      raw.write("three\n");
      expect(b.receive("*l")).to.deep.equal([null, "closed", ""]);
      b.close();
      expect(await reset).to.equal("ECONNRESET");
      expect(b.getstats().slice(0, 2)).to.deep.equal([7, 0]);
      raw.destroy();
    });
  });

  describe("4. receive after own close()", () => {
    it("serves what was buffered, then gives 'closed' with the partial or the prefix (LuaSocket's tuples)", async () => {
      const [, b] = await pairOf("hello\nworld");
      expect(b.receive(2)).to.deep.equal(["he", null, null]);
      b.close();
      expect(b.receive("*l")).to.deep.equal(["llo", null, null]);
      expect(b.receive("*l")).to.deep.equal([null, "closed", "world"]);
      expect(b.receive(5, "pre")).to.deep.equal([null, "closed", "pre"]);
      expect(b.receive(2, "abc")).to.deep.equal(["abc", null, null]);
      expect(b.receive(0)).to.deep.equal([null, "closed", ""]);
      expect(b.receive("*a")).to.deep.equal([null, "closed", ""]);
      expect(b.receive("*l")).to.deep.equal([null, "closed", ""]);
    });

    it('"*a" after close() gives what was buffered; so it does after shutdown("receive")', async () => {
      const [, b] = await pairOf("hello world");
      expect(b.receive(1)).to.deep.equal(["h", null, null]);
      b.close();
      expect(b.receive("*a")).to.deep.equal(["ello world", null, null]);
      expect(b.dirty()).to.equal(false);
      const [, c] = await pairOf("hello world");
      c.shutdown("receive");
      expect(c.receive("*a")).to.deep.equal(["hello world", null, null]);
      expect(c.receive("*a")).to.deep.equal([null, "closed", ""]);
    });

    it("through copas: a closed socket's receive gives [null, 'closed', ''] at once", async () => {
      const [, b] = await pairOf();
      b.close();
      let got: unknown = null;
      copas.addthread(function* () {
        got = yield* copas.receive(b, "*l");
      });
      await copas.loop();
      expect(got).to.deep.equal([null, "closed", ""]);
    });
  });

  describe("5. empty ranges", () => {
    it("on a closed socket give [i - 1] with no error, as LuaSocket (no system call)", async () => {
      const [, b] = await pairOf();
      b.close();
      expect(b.send("", 1)).to.deep.equal([0, null, null]);
      expect(b.send("abc", 5)).to.deep.equal([4, null, null]);
      expect(b.send("abc", 3, 2)).to.deep.equal([2, null, null]);
      expect(b.send("abc", 2)).to.deep.equal([null, "closed", 1]);
    });
  });

  describe("6. receive(0)", () => {
    it("tries a read first: 'timeout' with nothing queued, '' with data queued, 'closed' after the FIN", async () => {
      const [a, b] = await pairOf();
      expect(b.receive(0)).to.deep.equal([null, "timeout", ""]);
      expect(b.receive(0, "ab")).to.deep.equal(["ab", null, null]);
      expect(b.receive(2, "ab")).to.deep.equal(["ab", null, null]);
      expect(b.receive(3, "ab")).to.deep.equal([null, "timeout", "ab"]);
      a.send("x");
      await received(b, 1);
      expect(b.receive(0)).to.deep.equal(["", null, null]);
      const ended = streamEvent(b, "end");
      a.close();
      await ended;
      expect(b.receive(1)).to.deep.equal(["x", null, null]);
      expect(b.receive(0)).to.deep.equal([null, "closed", ""]);
    });

    it("copas.receive(skt, 0) waits for data, as Copas over LuaSocket", async () => {
      const [a, b] = await pairOf();
      let got: unknown = null;
      copas.addthread(function* () {
        got = yield* copas.receive(b, 0);
      });
      copas.addthread(function* () {
        yield* copas.pause(0);
        expect(got).to.equal(null); // still waiting
        a.send("x");
      });
      await copas.loop();
      expect(got).to.deep.equal(["", null, null]);
      expect(b.receive(1)).to.deep.equal(["x", null, null]);
    });
  });

  describe("7. patterns: only the first two characters count", () => {
    it('"*line" and "*lxyz" read lines, "*all" reads everything; "*x", "*", "x" are TypeErrors', async () => {
      const [a, b] = await pairOf("a\nb\nc");
      expect(b.receive("*line")).to.deep.equal(["a", null, null]);
      expect(b.receive("*lxyz")).to.deep.equal(["b", null, null]);
      for (const p of ["*x", "*", "x", "", "L", "*L"]) {
        expect(() => b.receive(p as never), p).to.throw(TypeError, "'pattern'");
      }
      const ended = streamEvent(b, "end");
      a.close();
      await ended;
      expect(b.receive("*all")).to.deep.equal(["c", null, null]);
      expect(b.receive("*all")).to.deep.equal([null, "closed", ""]);
    });

    it('copas.receive(skt, "*all") succeeds when the peer closes after several tries, as "*a"', async () => {
      const [a, b] = await pairOf();
      let got: unknown = null;
      copas.addthread(function* () {
        got = yield* copas.receive(b, "*all");
      });
      copas.addthread(function* () {
        yield* copas.pause(0);
        a.send("one ");
        yield* copas.pause(0);
        a.send("two");
        yield* copas.pause(0);
        a.close();
      });
      const loop = copas.loop();
      await loop;
      expect(got).to.deep.equal(["one two", null, null]);
    });
  });

  describe("13. strings on a latin1 socket", () => {
    it("a character above U+00FF is a TypeError saying to use setencoding('utf8') or a Buffer; nothing is sent", async () => {
      const [a, b] = await pairOf();
      expect(() => a.send("ü ✓")).to.throw(TypeError, /'data'.*U\+2713.*setencoding\("utf8"\).*Buffer/);
      expect(() => a.send("ok", 1, 1)).not.to.throw();
      expect(() => a.send("\u{1F600}")).to.throw(TypeError, /U\+1F600/);
      expect(a.getstats()[1]).to.equal(1);
      a.send("ü\n");
      await received(b, 3);
      // Only "o" and the latin1 "ü" (one byte, fc) arrived: nothing of the refused strings.
      expect(b.receive(3)).to.deep.equal(["o\xfc\n", null, null]);
      a.setencoding("utf8");
      expect(a.send("✓")).to.deep.equal([3, null, null]);
      a.setencoding("buffer");
      expect(() => a.send("✓")).to.throw(TypeError, "'data'");
    });
  });
});
