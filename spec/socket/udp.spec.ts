import { expect } from "chai";
import { Copas, socket, type UdpSocket } from "copas";

/** A bound UDP object on 127.0.0.1 and its port. */
async function bound(): Promise<[UdpSocket, number]> {
  const s = socket.udp();
  expect(await s.setsockname("127.0.0.1", 0)).to.deep.equal([1, null]);
  const [ip, port, family] = s.getsockname();
  expect([ip, family]).to.deep.equal(["127.0.0.1", "inet"]);
  return [s, port as number];
}

/** Resolves once `cond()` holds, checking after each turn of the event loop (no timers). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

/** `n` bytes of a fixed pattern covering every byte value. */
function pattern(n: number, seed = 0): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode((i * 7 + seed) & 255);
  return s;
}

describe("udp", () => {
  it("echoes to connected and unconnected clients, then times out (as Copas's udptimeout test)", async () => {
    const copas = new Copas();
    const [server, port] = await bound();
    const names: string[] = [];
    copas.addserver(
      server,
      function* (skt: UdpSocket) {
        names.push(copas.getthreadname());
        const w = copas.wrap(skt);
        for (;;) {
          const [data, ip, p] = yield* w.receivefrom();
          if (data === null) return;
          w.sendto(data, ip, p);
        }
      },
      null,
      "echo",
    );
    const got: unknown[] = [];
    copas.addthread(function* () {
      // connected
      const c = copas.wrap(socket.udp());
      c.settimeout(0.05);
      got.push(yield c.setpeername("127.0.0.1", port));
      got.push(String(c.socket));
      got.push(yield* c.send("foo"));
      got.push(yield* c.receive());
      got.push(yield* c.receive());
      got.push(c.getpeername());
      got.push(c.close(), String(c.socket));
      (c.socket as UdpSocket).close();
      // unconnected
      const u = copas.wrap(socket.udp());
      u.settimeout(0.05);
      got.push(u.sendto("bar", "127.0.0.1", port));
      const [d, ip, p] = yield* u.receivefrom();
      got.push([d, ip, p === port]);
      got.push(yield* u.receivefrom());
      (u.socket as UdpSocket).close();
      copas.removeserver(server);
    });
    await copas.loop();
    expect(names).to.deep.equal(["echo:handler"]);
    expect(got).to.deep.equal([
      [1, null],
      "udp{connected}",
      [3, null],
      ["foo", null, null],
      [null, "timeout", null],
      ["127.0.0.1", port, "inet"],
      true, // a wrapped UDP socket stays open on close (it is also the server, as Copas)
      "udp{connected}",
      [3, null],
      ["bar", "127.0.0.1", true],
      [null, "timeout", null],
    ]);
  });

  it("serves copas.receive/copas.send/copas.sendto on raw UDP objects", async () => {
    const copas = new Copas();
    const [server, port] = await bound();
    const received: unknown[] = [];
    const sent: unknown[] = [];
    copas.addthread(function* () {
      received.push(yield* copas.receive(server, 100));
      received.push(yield* copas.receive(server, 100));
    });
    copas.addthread(function* () {
      const c = socket.udp();
      sent.push(copas.sendto(c, "one", "127.0.0.1", port));
      sent.push(yield c.setpeername("127.0.0.1", port));
      sent.push(yield* copas.send(c, "two"));
      c.close();
    });
    await copas.loop();
    server.close();
    expect(sent).to.deep.equal([[3, null], [1, null], [3, null]]);
    expect(received).to.deep.equal([["one", null, null], ["two", null, null]]);
  });

  it("keeps datagram boundaries and truncates to the size asked for", async () => {
    const copas = new Copas();
    const [server, port] = await bound();
    const client = socket.udp();
    expect(await client.setpeername("127.0.0.1", port)).to.deep.equal([1, null]);
    for (const d of ["a", "bb", "ccc", "hello world", ""]) expect(client.send(d)).to.deep.equal([d.length, null]);
    const got: unknown[] = [];
    copas.addthread(function* () {
      got.push(yield* copas.receive(server));
      got.push(yield* copas.receive(server));
      got.push(yield* copas.receive(server, 100));
      got.push(yield* copas.receive(server, 5)); // the rest of the datagram is discarded
      got.push(yield* copas.receive(server));
    });
    await copas.loop();
    client.close();
    server.close();
    expect(got).to.deep.equal([
      ["a", null, null],
      ["bb", null, null],
      ["ccc", null, null],
      ["hello", null, null],
      ["", null, null],
    ]);
  });

  it("carries datagrams of 65,507 bytes, binary exact, and refuses bigger ones", async () => {
    const copas = new Copas();
    const [server, port] = await bound();
    const client = socket.udp4();
    const big = pattern(65507);
    const got: unknown[] = [];
    copas.addthread(function* () {
      const w = copas.wrap(client);
      got.push(w.sendto(big, "127.0.0.1", port));
      got.push(w.sendto(big + "x", "127.0.0.1", port));
      const [d, ip] = yield* copas.receivefrom(server, 65507);
      got.push(d === big, d?.length, ip);
      got.push(w.sendto(new Uint8Array([0, 255, 128]), "127.0.0.1", port));
      const [b] = yield* copas.receivefrom(server);
      got.push(b);
    });
    await copas.loop();
    client.close();
    server.close();
    expect(got).to.deep.equal([[65507, null], [null, "message too long"], true, 65507, "127.0.0.1", [3, null], "\x00\xff\x80"]);
  });

  it("caps the unread backlog and counts what it drops", async () => {
    const [server, port] = await bound();
    expect(server.setoption("recv-backlog", 4)).to.deep.equal([1, null]);
    expect(server.getoption("recv-backlog")).to.deep.equal([4, null]);
    const client = socket.udp();
    for (let i = 0; i < 10; i++) client.sendto(`d${i}`, "127.0.0.1", port);
    await until(() => server.getstats()[3] === 6);
    const got: unknown[] = [];
    for (let i = 0; i < 5; i++) got.push(server.receive());
    expect(got).to.deep.equal([["d0", null], ["d1", null], ["d2", null], ["d3", null], [null, "timeout"]]);
    const [rx, tx, age, dropped] = server.getstats();
    expect([rx, tx, dropped]).to.deep.equal([8, 0, 6]);
    expect(age).to.be.at.least(0);
    expect(client.getstats()[1]).to.equal(20);
    client.close();
    server.close();
  });

  it("says closed: to a receiver waiting in copas, and to every call after close", async () => {
    const copas = new Copas();
    const [server] = await bound();
    const got: unknown[] = [];
    copas.addthread(function* () {
      got.push(yield* copas.receive(server, 10));
    });
    copas.addthread(function* () {
      yield* copas.pause(0);
      got.push(server.close());
    });
    await copas.loop();
    expect(got).to.deep.equal([1, [null, "closed", null]]);
    expect(server.receive()).to.deep.equal([null, "closed"]);
    expect(server.receivefrom()).to.deep.equal([null, "closed", null]);
    expect(server.sendto("x", "127.0.0.1", 9)).to.deep.equal([null, "closed"]);
    expect(server.getsockname()).to.deep.equal([null, "closed"]);
    expect(await server.setsockname("127.0.0.1", 0)).to.deep.equal([null, "closed"]);
    expect(String(server)).to.equal("udp{closed}");
    expect(server.close()).to.equal(1);
  });

  it("stops serving on removeserver: the loop ends, the waiting handler is dropped (as Copas)", async () => {
    const copas = new Copas();
    const [server] = await bound();
    const got: unknown[] = [];
    copas.addserver(server, function* (skt: UdpSocket) {
      got.push(yield* copas.receivefrom(skt));
    });
    copas.addthread(function* () {
      yield* copas.pause(0);
      got.push(copas.removeserver(server));
    });
    await copas.loop();
    expect(got).to.deep.equal([1]);
    expect(copas.status().read).to.equal(0);
  });

  it("reports the OS's 'connection refused' for a connected peer with no listener once, on receive", async () => {
    const copas = new Copas();
    const [dead, port] = await bound();
    dead.close(); // nothing listens on `port` any more: loopback answers with ICMP port unreachable
    const got: unknown[] = [];
    copas.addthread(function* () {
      const c = socket.udp();
      got.push(yield c.setpeername("127.0.0.1", port));
      got.push(c.send("x"));
      got.push(yield* copas.receive(c, 10));
      got.push(c.receive());
      c.close();
    });
    await copas.loop();
    expect(got).to.deep.equal([[1, null], [1, null], [null, "connection refused", null], [null, "timeout"]]);
  });

  it("connects, disconnects and reports names", async () => {
    const [server, port] = await bound();
    const c = socket.udp();
    expect(String(c)).to.equal("udp{unconnected}");
    expect(c.getsockname()).to.deep.equal(["0.0.0.0", 0, "inet"]);
    expect(c.getpeername()).to.deep.equal([null, "not connected"]);
    expect(await c.setpeername("127.0.0.1", port)).to.deep.equal([1, null]);
    expect(String(c)).to.equal("udp{connected}");
    expect(c.getpeername()).to.deep.equal(["127.0.0.1", port, "inet"]);
    expect(c.getsockname()[1]).to.be.a("number").and.not.equal(0);
    expect(await c.setpeername("*")).to.deep.equal([1, null]);
    expect(String(c)).to.equal("udp{unconnected}");
    expect(await server.setsockname("127.0.0.1", 0)).to.deep.equal([null, "already bound"]);
    const other = socket.udp();
    expect(await other.setsockname("127.0.0.1", port)).to.deep.equal([null, "address already in use"]);
    expect(c.settimeout(1)).to.equal(1);
    expect(c.gettimeout()).to.equal(1);
    expect(c.setoption("broadcast", true)).to.deep.equal([1, null]);
    expect(c.getoption("broadcast")).to.deep.equal([true, null]);
    for (const s of [c, other, server]) s.close();
  });

  it("rejects bad input with TypeErrors naming the argument", async () => {
    const s = socket.udp();
    expect(() => s.sendto(42 as never, "127.0.0.1", 1)).to.throw(TypeError, /sendto: bad argument 'data'/);
    expect(() => s.sendto("x", 1 as never, 1)).to.throw(TypeError, /sendto: bad argument 'ip'/);
    expect(() => s.sendto("x", "127.0.0.1", 70000)).to.throw(TypeError, /sendto: bad argument 'port'/);
    expect(() => s.send("x")).to.throw(TypeError, /send: .*udp\{connected\}/);
    expect(() => s.setsockname(1 as never, 0)).to.throw(TypeError, /setsockname: bad argument 'host'/);
    expect(() => s.receive("*l" as never)).to.throw(TypeError, /receive: bad argument 'size'/);
    expect(() => s.setoption("nope", 1)).to.throw(TypeError, /unsupported option 'nope'/);
    expect(() => s.setencoding("ascii" as never)).to.throw(TypeError, /setencoding: bad argument 'enc'/);
    const [server, port] = await bound();
    expect(await s.setpeername("127.0.0.1", port)).to.deep.equal([1, null]);
    expect(() => s.sendto("x", "127.0.0.1", port)).to.throw(TypeError, /sendto: .*udp\{unconnected\}/);
    s.close();
    server.close();
  });
});
