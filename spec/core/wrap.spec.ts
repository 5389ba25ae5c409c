import { expect } from "chai";
import { Copas, CopasSocket, type TcpSocket } from "copas";
import { ManualClock } from "copas/sim";
import { autoClock } from "../helpers/run.js";
import { listen, pair, received } from "../helpers/net.js";

describe("wrap (CopasSocket)", () => {
  let copas: Copas;
  const open: TcpSocket[] = [];

  beforeEach(() => {
    copas = new Copas({ clock: autoClock(0, true) });
  });

  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });

  async function pairOf(): Promise<[TcpSocket, TcpSocket]> {
    const p = await pair(copas);
    open.push(...p);
    return p;
  }

  it("wrapping twice gives the same object; wrapping a wrapped socket gives it back", async () => {
    const [a] = await pairOf();
    const w = copas.wrap(a);
    expect(w).to.be.instanceOf(CopasSocket);
    expect(copas.wrap(a)).to.equal(w);
    expect(copas.wrap(w)).to.equal(w);
    expect(w.socket).to.equal(a);
    expect(w.copas).to.equal(copas);
    expect(String(w)).to.equal("tcp{client} (copas wrapped)");
    const other = new Copas({ clock: new ManualClock() });
    expect(() => other.wrap(a)).to.throw(TypeError, "'skt'"); // another network (clock)
  });

  it("a wrapped socket's methods are copas ops with the socket bound", async () => {
    const [a, b] = await pairOf();
    const wa = copas.wrap(a);
    const wb = copas.wrap(b);
    const got: unknown[] = [];
    copas.addthread(function* () {
      got.push(yield* wa.send("line one\nabcdef", 1, -1));
      got.push(yield* wb.receive());
      got.push(yield* wb.receive(3));
      got.push(yield* wb.receivepartial(10));
      wa.close();
      got.push(yield* wb.receive("*a"));
    });
    await copas.loop();
    expect(got).to.deep.equal([
      [15, null, null],
      ["line one", null, null],
      ["abc", null, null],
      [null, "timeout", "def"],
      [null, "closed", ""],
    ]);
  });

  it("a wrapped socket whose receive timeout is 0 receives partially, as Copas", async () => {
    const [a, b] = await pairOf();
    a.send("abc");
    await received(b, 3);
    const wb = copas.wrap(b);
    expect(wb.settimeout(0)).to.equal(true);
    let got: unknown = null;
    copas.addthread(function* () {
      got = yield* wb.receive(10);
    });
    await copas.loop();
    expect(got).to.deep.equal([null, "timeout", "abc"]);
  });

  it("settimeout/settimeouts on a wrapped socket are copas timeouts", async () => {
    const [, b] = await pairOf();
    const wb = copas.wrap(b);
    expect(wb.settimeouts(null, null, 2)).to.equal(true);
    const got: unknown[] = [];
    copas.addthread(function* () {
      got.push(yield* wb.receive());
      got.push(copas.gettime());
    });
    await copas.loop();
    expect(got).to.deep.equal([[null, "timeout", ""], 2]);
  });

  it("connect through a wrapped master; getpeername, getsockname, options, stats, dirty, shutdown", async () => {
    const [server, port] = await listen(copas);
    open.push(server);
    const m = copas.socket.tcp();
    open.push(m);
    const w = copas.wrap(m);
    const got: unknown[] = [];
    copas.addserver(server, function* (skt: TcpSocket) {
      yield* copas.send(skt, "hi\n");
      yield* copas.receive(skt, "*a");
    });
    copas.addthread(function* () {
      got.push(yield* w.connect("127.0.0.1", port));
      got.push(w.getpeername());
      got.push((w.getsockname() as [string, number, string])[0]);
      got.push(w.setoption("tcp-nodelay", true), w.getoption("tcp-nodelay"));
      got.push(yield* w.receive(1));
      got.push(w.dirty()); // "i\n" came with the "h"
      got.push(yield* w.receive());
      got.push(w.getstats()[0]);
      got.push(w.shutdown("send"));
      w.close();
      copas.removeserver(server);
    });
    await copas.loop();
    expect(got).to.deep.equal([
      [1, null],
      ["127.0.0.1", port, "inet"],
      "127.0.0.1",
      [1, null],
      [true, null],
      ["h", null, null],
      true,
      ["i", null, null],
      3,
      1,
    ]);
  });

  it("handler(fn) gives fn the client wrapped", async () => {
    const [server, port] = await listen(copas);
    let seen: unknown = null;
    copas.addserver(
      server,
      copas.handler(function* (skt: CopasSocket) {
        seen = skt;
        const [line] = yield* skt.receive();
        yield* skt.send(line!.toUpperCase() + "\n");
      }),
    );
    const got: unknown[] = [];
    copas.addthread(function* () {
      const c = copas.wrap(copas.socket.tcp());
      yield* c.connect("127.0.0.1", port);
      yield* c.send("shout\n");
      got.push(yield* c.receive());
      c.close();
      copas.removeserver(server);
    });
    await copas.loop();
    expect(seen).to.be.instanceOf(CopasSocket);
    expect(got).to.deep.equal([["SHOUT", null, null]]);
  });

  it("handler(fn) takes plain functions too, and checks fn", async () => {
    expect(() => copas.handler(5 as never)).to.throw(TypeError, "'fn'");
    const [server, port] = await listen(copas);
    let kind = "";
    copas.addserver(
      server,
      copas.handler((skt: CopasSocket) => {
        kind = skt.constructor.name;
      }),
    );
    copas.addthread(function* () {
      const c = copas.wrap(copas.socket.tcp());
      yield* c.connect("127.0.0.1", port);
      yield* c.receive(); // the handler ended: its socket was closed
      c.close();
      copas.removeserver(server);
    });
    await copas.loop();
    expect(kind).to.equal("CopasSocket");
  });

  it("ops on a closed wrapped socket give 'closed'", async () => {
    const [a] = await pairOf();
    const w = copas.wrap(a);
    w.close();
    const got: unknown[] = [];
    copas.addthread(function* () {
      got.push(yield* w.receive());
      got.push(yield* w.send("x"));
    });
    await copas.loop();
    expect(got).to.deep.equal([
      [null, "closed", ""],
      [null, "closed", 0],
    ]);
  });

  it("rejects sslparams that are not a table", async () => {
    const [a] = await pairOf();
    expect(() => copas.wrap(a, 5)).to.throw(TypeError, "'sslparams'");
  });
});
