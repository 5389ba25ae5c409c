import { expect } from "chai";
import type { UdpSocket } from "copas";
import { sim, udpEcho } from "./helpers.js";

describe("sim/sim-datagram", () => {
  it("echoes to connected and unconnected clients, then times out at an exact virtual time (as Copas's udptimeout test)", async () => {
    const { clock, net, copas } = sim({ latency: 0.01 });
    const server = net.socket.udp();
    expect(await server.setsockname("10.0.0.1", 9)).to.deep.equal([1, null]);
    expect(server.getsockname()).to.deep.equal(["10.0.0.1", 9, "inet"]);
    copas.addserver(server, udpEcho(copas), null, "echo");
    const got: unknown[] = [];
    copas.addthread(function* () {
      // connected
      const c = copas.wrap(net.socket.udp());
      c.settimeout(0.05);
      got.push(yield c.setpeername("10.0.0.1", 9));
      got.push(c.getsockname());
      got.push(yield* c.send("foo"));
      got.push(yield* c.receive());
      got.push(clock.now());
      got.push(yield* c.receive());
      got.push(clock.now());
      (c.socket as UdpSocket).close();
      // unconnected
      const u = copas.wrap(net.socket.udp());
      u.settimeout(0.05);
      got.push(u.sendto("bar", "10.0.0.1", 9));
      got.push(yield* u.receivefrom());
      got.push(yield* u.receivefrom());
      got.push(clock.now());
      (u.socket as UdpSocket).close();
      copas.removeserver(server);
    });
    await copas.loop();
    expect(got).to.deep.equal([
      [1, null],
      ["127.0.0.1", 49152, "inet"], // bound implicitly by connect
      [3, null],
      ["foo", null, null],
      0.02, // there and back
      [null, "timeout", null],
      0.07,
      [3, null],
      ["bar", "10.0.0.1", 9],
      [null, "timeout", null],
      0.14,
    ]);
  });

  it("delivers at exactly the latency, step by step without a dispatcher; chunkSize does not split datagrams", async () => {
    const { clock, net } = sim({ latency: 0.5, chunkSize: 1, auto: false });
    const a = net.socket.udp();
    const b = net.socket.udp6();
    expect(await a.setsockname("10.0.0.1", 7)).to.deep.equal([1, null]);
    expect(b.sendto("hello", "10.0.0.1", 7)).to.deep.equal([5, null]);
    expect(b.getsockname()).to.deep.equal(["::1", 49152, "inet6"]); // bound by the send
    // Binary fractions: times add up exactly.
    clock.advance(0.375);
    expect(a.receivefrom()).to.deep.equal([null, "timeout", null]);
    net.setLatency(0.25);
    b.sendto("world", "10.0.0.1", 7); // due at 0.625, after "hello"
    clock.advance(0.125);
    expect(a.receivefrom()).to.deep.equal(["hello", "::1", 49152]);
    expect(a.receive()).to.deep.equal([null, "timeout"]);
    clock.advance(0.0625);
    expect(a.receive()).to.deep.equal([null, "timeout"]);
    clock.advance(0.0625);
    expect(a.receive()).to.deep.equal(["world", null]);
    a.close();
    b.close();
  });

  it("keeps datagram boundaries and truncates to the size asked for", async () => {
    const { net, copas } = sim({ latency: 0.001 });
    const server = net.socket.udp();
    await server.setsockname("*", 53);
    const got: unknown[] = [];
    copas.addthread(function* () {
      const c = net.socket.udp();
      got.push(yield c.setpeername("127.0.0.1", 53));
      for (const m of ["a", "bc", "", "defghij"]) c.send(m);
      for (let i = 0; i < 3; i++) got.push(yield* copas.receive(server, 100));
      got.push(yield* copas.receive(server, 3));
      got.push(server.receive());
      c.close();
      server.close();
    });
    await copas.loop();
    expect(got).to.deep.equal([[1, null], ["a", null, null], ["bc", null, null], ["", null, null], ["def", null, null], [null, "timeout"]]);
  });

  it("draws each datagram's latency from the seed: order and times per seed", async () => {
    async function run(seed: number) {
      const { clock, net, copas } = sim({ seed, latency: [0.001, 0.1] });
      const server = net.socket.udp();
      await server.setsockname("10.0.0.1", 7);
      const arrivals: string[] = [];
      copas.addthread(function* () {
        for (let i = 0; i < 20; i++) {
          const [d] = yield* copas.receive(server);
          arrivals.push(`${d}@${clock.now().toFixed(4)}`);
        }
        server.close();
      });
      copas.addthread(function* () {
        const c = net.socket.udp();
        for (let i = 0; i < 20; i++) c.sendto(String(i), "10.0.0.1", 7);
        c.close();
      });
      await copas.loop();
      return arrivals;
    }
    const a = await run(1);
    expect(a).to.have.length(20);
    expect(await run(1)).to.deep.equal(a);
    expect(await run(2)).to.not.deep.equal(a);
    const order = a.map((x) => Number(x.split("@")[0]));
    expect(order).to.not.deep.equal([...order].sort((x, y) => x - y)); // overtaken, as the draws say
    expect([...order].sort((x, y) => x - y)).to.deep.equal([...Array(20).keys()]);
    const times = a.map((x) => Number(x.split("@")[1]));
    for (const t of times) expect(t).to.be.within(0.001, 0.1);
  });

  it("drops datagrams across a partition (nothing held for the heal), traced", async () => {
    const { net, copas } = sim({ latency: 0.01, trace: true });
    const server = net.socket.udp();
    await server.setsockname("10.0.0.1", 7);
    const got: unknown[] = [];
    copas.addthread(function* () {
      const c = net.socket.udp();
      c.sendto("before", "10.0.0.1", 7);
      got.push(yield* copas.receive(server));
      net.partition("127.0.0.1", "10.0.0.1");
      c.sendto("during", "10.0.0.1", 7);
      copas.settimeout(server, 1);
      got.push(yield* copas.receive(server));
      net.heal();
      c.sendto("after", "10.0.0.1", 7);
      got.push(yield* copas.receive(server));
      c.close();
      server.close();
    });
    await copas.loop();
    expect(got).to.deep.equal([["before", null, null], [null, "timeout", null], ["after", null, null]]);
    const udp = copas.gettrace().filter((l) => / (bind|deliver|drop) udp /.test(l));
    expect(udp).to.deep.equal([
      "0 bind udp 10.0.0.1:7",
      "0 bind udp 127.0.0.1:49152",
      "0.01 deliver udp 127.0.0.1:49152>10.0.0.1:7 6 bytes",
      "0.02 drop udp 127.0.0.1:49152>10.0.0.1:7 6 bytes partition",
      "1.02 deliver udp 127.0.0.1:49152>10.0.0.1:7 5 bytes",
    ]);
  });

  it("drops what nobody is bound to; a connected sender hears 'connection refused' once", async () => {
    const { clock, net, copas } = sim({ latency: 0.01, trace: true });
    const got: unknown[] = [];
    copas.addthread(function* () {
      const u = net.socket.udp();
      copas.settimeout(u, 0.1);
      got.push(u.sendto("x", "10.0.0.9", 7));
      got.push(yield* copas.receive(u, 10));
      const c = net.socket.udp();
      got.push(yield c.setpeername("10.0.0.9", 7));
      got.push(c.send("y"));
      got.push(yield* copas.receive(c, 10));
      got.push(clock.now());
      got.push(c.receive());
      u.close();
      c.close();
    });
    await copas.loop();
    expect(got.slice(0, 2)).to.deep.equal([[1, null], [null, "timeout", null]]);
    expect(got.slice(2)).to.deep.equal([[1, null], [1, null], [null, "connection refused", null], 0.12, [null, "timeout"]]);
    expect(copas.gettrace().filter((l) => / drop udp /.test(l))).to.have.length(2);
  });

  it("answers from the host addressed when bound to '*' (so connected clients hear it)", async () => {
    const { net, copas } = sim({ latency: 0.01, trace: true });
    const server = net.socket.udp();
    await server.setsockname("*", 9);
    copas.addserver(server, udpEcho(copas));
    const got: unknown[] = [];
    copas.addthread(function* () {
      const c = net.socket.udp();
      yield c.setsockname("10.0.0.2", 0);
      yield c.setpeername("10.0.0.1", 9);
      copas.settimeout(c, 1);
      c.send("hi");
      got.push(yield* copas.receive(c));
      const u = net.socket.udp();
      yield u.setsockname("10.0.0.3", 0);
      u.sendto("yo", "db", 9);
      got.push(yield* copas.receivefrom(u));
      for (const s of [c, u]) s.close();
      copas.removeserver(server);
    });
    await copas.loop();
    expect(got).to.deep.equal([["hi", null, null], ["yo", "db", 9]]);
    expect(copas.gettrace().filter((l) => / deliver udp /.test(l))).to.deep.equal([
      "0.01 deliver udp 10.0.0.2:49152>10.0.0.1:9 2 bytes",
      "0.02 deliver udp 10.0.0.1:9>10.0.0.2:49152 2 bytes",
      "0.03 deliver udp 10.0.0.3:49152>db:9 2 bytes",
      "0.04 deliver udp db:9>10.0.0.3:49152 2 bytes",
    ]);
  });

  it("says 'address already in use' for a taken port; ports apart from TCP's", async () => {
    const { net } = sim();
    const a = net.socket.udp();
    expect(await a.setsockname("10.0.0.1", 7)).to.deep.equal([1, null]);
    expect(await net.socket.udp().setsockname("10.0.0.1", 7)).to.deep.equal([null, "address already in use"]);
    expect(await net.socket.udp().setsockname("*", 7)).to.deep.equal([null, "address already in use"]);
    const other = net.socket.udp();
    expect(await other.setsockname("10.0.0.2", 7)).to.deep.equal([1, null]);
    const [tcp] = await net.socket.bind("10.0.0.1", 7);
    expect(tcp).to.not.equal(null);
    const e1 = net.socket.udp();
    const e2 = net.socket.udp();
    expect(await e1.setsockname("10.0.0.1", 0)).to.deep.equal([1, null]);
    expect(await e2.setsockname("10.0.0.1", 0)).to.deep.equal([1, null]);
    expect([e1.getsockname()[1], e2.getsockname()[1]]).to.deep.equal([49152, 49153]);
    expect(await net.socket.udp().setsockname("no such host", 7)).to.deep.equal([null, "host not found"]);
    const c = net.socket.udp();
    expect(await c.setpeername("", 7)).to.deep.equal([null, "host not found"]);
    expect(a.setoption("ip-add-membership", { multiaddr: "239.1.1.1", interface: "*" })).to.deep.equal([null, "multicast is not simulated"]);
    a.close();
    expect(await net.socket.udp().setsockname("10.0.0.1", 7)).to.deep.equal([1, null]);
  });

  it("connects, disconnects and only hears its peer while connected", async () => {
    const { net, copas } = sim({ latency: 0.01 });
    const c = net.socket.udp();
    await c.setsockname("10.0.0.2", 5);
    expect(await c.setpeername("10.0.0.1", 7)).to.deep.equal([1, null]);
    expect(c.getpeername()).to.deep.equal(["10.0.0.1", 7, "inet"]);
    const peer = net.socket.udp();
    await peer.setsockname("10.0.0.1", 7);
    const stranger = net.socket.udp();
    await stranger.setsockname("10.0.0.3", 7);
    const got: unknown[] = [];
    copas.addthread(function* () {
      stranger.sendto("no", "10.0.0.2", 5);
      peer.sendto("yes", "10.0.0.2", 5);
      got.push(yield* copas.receive(c));
      got.push(yield c.setpeername("*"));
      stranger.sendto("now", "10.0.0.2", 5);
      got.push(yield* copas.receive(c));
      for (const s of [c, peer, stranger]) s.close();
    });
    await copas.loop();
    expect(got).to.deep.equal([["yes", null, null], [1, null], ["now", null, null]]);
  });

  it("gives identical traces for two runs with one seed", async () => {
    async function run(seed: number) {
      const { net, copas } = sim({ seed, latency: [0.001, 0.05], trace: true });
      const server = net.socket.udp();
      await server.setsockname("10.0.0.1", 9);
      copas.addserver(server, udpEcho(copas));
      for (let k = 0; k < 3; k++) {
        copas.addthread(function* () {
          const c = net.socket.udp();
          yield c.setpeername("10.0.0.1", 9);
          copas.settimeout(c, 0.2);
          for (let i = 0; i < 10; i++) {
            c.send(`${k}:${i}`);
            const [d] = yield* copas.receive(c);
            if (d === null) break;
          }
          c.close();
        });
      }
      copas.addthread(function* () {
        yield* copas.sleep(5);
        copas.removeserver(server);
      });
      await copas.loop();
      return copas.gettrace();
    }
    const a = await run(3);
    expect(a.filter((l) => / deliver udp /.test(l))).to.have.length(60);
    expect(await run(3)).to.deep.equal(a);
    expect(await run(4)).to.not.deep.equal(a);
  });
});
