import { expect } from "chai";
import { Copas, socket, type TcpSocket } from "copas";
import socketEntry, { bind as entryBind } from "copas/socket";
import { ManualClock } from "copas/sim";
import { listen, pair, received } from "../helpers/net.js";

describe("socket (the LuaSocket layer)", () => {
  let clock: ManualClock;
  let copas: Copas;
  const open: TcpSocket[] = [];

  beforeEach(() => {
    clock = new ManualClock();
    copas = new Copas({ clock });
  });

  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });

  async function listening(): Promise<[TcpSocket, number]> {
    const r = await listen(copas);
    open.push(r[0]);
    return r;
  }

  describe("bind", () => {
    it("listens on 127.0.0.1 port 0 and tells the port chosen", async () => {
      const [server, err] = await socket.bind("127.0.0.1", 0);
      expect(err).to.equal(null);
      open.push(server!);
      const [ip, port, family] = server!.getsockname();
      expect([ip, family]).to.deep.equal(["127.0.0.1", "inet"]);
      expect(port).to.be.a("number").within(1, 65535);
      expect(String(server)).to.equal("tcp{server}");
    });

    it('takes "*" for all interfaces and a port given as a string', async () => {
      const [server] = await socket.bind("*", "0");
      open.push(server!);
      expect(server!.getsockname()[0]).to.equal("0.0.0.0");
    });

    it('says "address already in use" for a port taken', async () => {
      const [, port] = await listening();
      expect(await socket.bind("127.0.0.1", port)).to.deep.equal([null, "address already in use"]);
    });

    it("on a master: bind records the address, listen does the OS work and reports errors", async () => {
      const [, port] = await listening();
      const m = socket.tcp();
      open.push(m);
      expect(String(m)).to.equal("tcp{master}");
      expect(m.bind("127.0.0.1", port)).to.deep.equal([1, null]);
      expect(m.getsockname()).to.deep.equal(["127.0.0.1", port, "inet"]);
      expect(await m.listen()).to.deep.equal([null, "address already in use"]);
      const m2 = socket.tcp4();
      open.push(m2);
      expect(m2.bind("127.0.0.1", 0)).to.deep.equal([1, null]);
      expect(await m2.listen(5)).to.deep.equal([1, null]);
      expect(String(m2)).to.equal("tcp{server}");
      expect(m2.bind("127.0.0.1", 0)).to.deep.equal([null, "already connected"]);
      expect(String(socket.tcp6())).to.equal("tcp{master}");
    });

    it("throws a TypeError naming a bad host, port or backlog", async () => {
      for (const [args, name] of [
        [[5, 0], "'host'"],
        [["127.0.0.1", -1], "'port'"],
        [["127.0.0.1", 70000], "'port'"],
        [["127.0.0.1", "http"], "'port'"],
        [["127.0.0.1", 0, "x"], "'backlog'"],
      ] as [unknown[], string][]) {
        let err: unknown = null;
        try {
          await (socket.bind as (...a: unknown[]) => Promise<unknown>)(...args);
        } catch (e) {
          err = e;
        }
        expect(err, String(args)).to.be.instanceOf(TypeError);
        expect(String(err)).to.contain(name);
      }
    });
  });

  describe("connect", () => {
    it("connects to a listening server, which then has a client to accept", async () => {
      const [server, port] = await listening();
      const [c, err] = await socket.connect("127.0.0.1", port);
      expect(err).to.equal(null);
      open.push(c!);
      expect(String(c)).to.equal("tcp{client}");
      expect(c!.getpeername()).to.deep.equal(["127.0.0.1", port, "inet"]);
      await socket.select([server], null);
      const [s] = server.accept();
      open.push(s!);
      expect(s!.getpeername()).to.deep.equal(c!.getsockname());
      expect(server.accept()).to.deep.equal([null, "timeout"]);
    });

    it("binds the local end when asked", async () => {
      const [, port] = await listening();
      const [c] = await socket.connect("127.0.0.1", port, "127.0.0.1", 0);
      open.push(c!);
      expect(c!.getsockname()[0]).to.equal("127.0.0.1");
    });

    it('says "connection refused" where nothing listens', async () => {
      const [server, port] = await socket.bind("127.0.0.1", 0).then(([s]) => [s!, s!.getsockname()[1] as number] as const);
      server.close();
      expect(await socket.connect("127.0.0.1", port)).to.deep.equal([null, "connection refused"]);
    });

    it("a master's own connect is non-blocking: 'timeout' first, then the result", async () => {
      const [server, port] = await listening();
      const m = socket.tcp();
      open.push(m);
      expect(m.connect("127.0.0.1", port)).to.deep.equal([null, "timeout"]);
      expect(m.receive()).to.deep.equal([null, "timeout", null]);
      expect(m.send("early")).to.deep.equal([null, "timeout", 0]);
      const [, w] = await socket.select(null, [m]);
      expect(w).to.deep.equal([m]);
      expect(m.connect("127.0.0.1", port)).to.deep.equal([1, null]);
      expect(m.connect("127.0.0.1", port)).to.deep.equal([null, "already connected"]);
      void server;
    });

    it("throws a TypeError naming a bad host or port", () => {
      expect(() => socket.connect(1 as never, 1)).to.throw(TypeError, "'host'");
      expect(() => socket.connect("127.0.0.1", 1.5)).to.throw(TypeError, "'port'");
      expect(() => socket.tcp().connect("127.0.0.1", "x")).to.throw(TypeError, "'port'");
    });
  });

  describe("select", () => {
    it("gives sockets with buffered data, pending accepts and EOF as readable", async () => {
      const [server, port] = await listening();
      const [a, b] = await pair(copas);
      open.push(a, b);
      expect(await copas.socket.select([server, b], null, 0)).to.deep.equal([[], [], "timeout"]);
      a.send("x");
      await received(b, 1);
      const [c] = await copas.socket.connect("127.0.0.1", port);
      open.push(c!);
      const [r] = await copas.socket.select([server, b], null);
      expect(r).to.include(b);
      const [r2] = await copas.socket.select([server], null); // waits for the accept if needed
      expect(r2).to.deep.equal([server]);
      b.receive(1);
      const [a2, b2] = await pair(copas);
      open.push(a2, b2);
      a2.close();
      expect(await copas.socket.select([b2], null)).to.deep.equal([[b2], [], null]);
    });

    it("waits until a socket becomes readable", async () => {
      const [a, b] = await pair(copas);
      open.push(a, b);
      const p = copas.socket.select([b], [], null);
      a.send("late");
      expect(await p).to.deep.equal([[b], [], null]);
    });

    it("gives connected sockets with room to send as writable", async () => {
      const [a, b] = await pair(copas);
      open.push(a, b);
      expect(await copas.socket.select(undefined, [a, b])).to.deep.equal([[], [a, b], null]);
    });

    it("leaves a copas thread waiting on the same socket able to wake", async () => {
      const [a, b] = await pair(copas);
      open.push(a, b);
      let got: unknown = null;
      copas.addthread(function* () {
        got = yield* copas.receive(b);
      });
      await copas.step(0); // the thread waits on b
      const sel = copas.socket.select([b], null);
      a.send("x\n");
      expect(await sel).to.deep.equal([[b], [], null]);
      await copas.loop();
      expect(got).to.deep.equal(["x", null, null]);
    });

    it("a select stays told when a copas thread starts waiting on the socket after it", async () => {
      const [a, b] = await pair(copas);
      open.push(a, b);
      let got: unknown = null;
      const sel = copas.socket.select([b], null); // select first
      copas.addthread(function* () {
        got = yield* copas.receive(b);
      });
      await copas.step(0); // then the thread waits on b
      a.send("y\n");
      expect(await sel).to.deep.equal([[b], [], null]);
      await copas.loop();
      expect(got).to.deep.equal(["y", null, null]);
    });

    it('times out on the network\'s clock with "timeout"', async () => {
      const [a, b] = await pair(copas);
      open.push(a, b);
      let res: unknown = null;
      const p = copas.socket.select([b], null, 2).then((r) => (res = r));
      clock.advance(1);
      await new Promise((r) => setImmediate(r));
      expect(res).to.equal(null);
      clock.advance(1);
      await p;
      expect(res).to.deep.equal([[], [], "timeout"]);
    });

    it("throws a TypeError naming bad arguments", () => {
      expect(() => socket.select("x" as never, null)).to.throw(TypeError, "'recvt'");
      expect(() => socket.select(null, 5 as never)).to.throw(TypeError, "'sendt'");
      expect(() => socket.select([{}] as never, null)).to.throw(TypeError, "recvt/sendt");
      expect(() => socket.select(null, null, "1" as never)).to.throw(TypeError, "'timeout'");
    });
  });

  describe("gettime and sleep", () => {
    it("gettime is seconds since the epoch on the real clock, the clock's time otherwise", () => {
      const t = socket.gettime();
      expect(t).to.be.greaterThan(1.6e9).and.lessThan(1e10);
      expect(socket.gettime()).to.be.at.least(t);
      clock.advance(12.5);
      expect(copas.socket.gettime()).to.equal(12.5);
    });

    it("sleep resolves after the seconds have passed on the clock", async () => {
      let done = false;
      const p = copas.socket.sleep(3).then(() => (done = true));
      clock.advance(2.5);
      await new Promise((r) => setImmediate(r));
      expect(done).to.equal(false);
      clock.advance(0.5);
      await p;
      expect(done).to.equal(true);
      expect(() => socket.sleep("1" as never)).to.throw(TypeError, "'seconds'");
    });
  });

  describe('"copas/socket"', () => {
    it("exports the real LuaSocket layer", () => {
      expect(socketEntry).to.equal(socket);
      expect(entryBind).to.equal(socket.bind);
    });

    it("sockets of one network are refused by a dispatcher on another", async () => {
      const [a, b] = await pair(copas);
      open.push(a, b);
      const real = new Copas();
      expect(() => real.receive(a)).to.throw(TypeError, "'skt'");
      expect(() => copas.receive(socket.tcp())).to.throw(TypeError, "'skt'");
    });
  });
});
