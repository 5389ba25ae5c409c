import { expect } from "chai";
import { Copas, socket as realSocket, type AnySocket, type TcpSocket } from "copas";
import { ManualClock, SimNetwork, type Latency } from "copas/sim";
import { echo, sim } from "./helpers.js";

/** The seed's echo server with `clients` clients, each on its own host, sending 3 lines. */
async function echoRun(seed: number, clients: number, chunkSize: number, latency: Latency) {
  const { clock, net, copas } = sim({ seed, chunkSize, latency, trace: true });
  const [server] = await net.socket.bind("10.0.0.1", 7);
  copas.addserver(server!, echo(copas), null, "echo");
  const replies: string[][] = [];
  let done = 0;
  for (let i = 0; i < clients; i++) {
    copas.addnamedthread(`client${i}`, function* () {
      const raw = net.socket.tcp();
      raw.bind(`10.1.${i >> 8}.${i & 255}`, 0);
      const c = copas.wrap(raw);
      const got: string[] = [];
      const [ok, err] = yield* c.connect("10.0.0.1", 7);
      if (ok === null) throw new Error(err);
      for (let k = 0; k < 3; k++) {
        yield* c.send(`line ${k} of ${i}\n`);
        const [line, e] = yield* c.receive();
        got.push(line ?? `error ${e}`);
      }
      yield* c.send("quit\n");
      got.push(String((yield* c.receive())[1]));
      c.close();
      replies[i] = got;
      if (++done === clients) copas.removeserver(server!);
    });
  }
  await copas.loop();
  return { replies, trace: copas.gettrace(), now: clock.now() };
}

describe("sim/sim-network", () => {
  describe("echo", () => {
    it("serves 100 clients with 1-byte chunks", async () => {
      const r = await echoRun(1, 100, 1, [0.001, 0.02]);
      expect(r.replies).to.have.length(100);
      r.replies.forEach((got, i) => {
        expect(got).to.deep.equal([`line 0 of ${i}`, `line 1 of ${i}`, `line 2 of ${i}`, "closed"]);
      });
      // One-byte deliveries both ways: 3 lines out and back, plus "quit".
      let bytes = 0;
      for (let i = 0; i < 100; i++) bytes += 2 * 3 * `line 0 of ${i}\n`.length + "quit\n".length;
      const deliveries = r.trace.filter((l) => / deliver /.test(l));
      expect(deliveries).to.have.length(bytes);
      expect(deliveries.every((l) => l.endsWith(" 1 bytes"))).to.equal(true);
    });

    it("gives identical traces for one seed, and different ones for another", async () => {
      const a = await echoRun(5, 20, 3, [0.001, 0.05]);
      const b = await echoRun(5, 20, 3, [0.001, 0.05]);
      const c = await echoRun(6, 20, 3, [0.001, 0.05]);
      expect(a.trace.length).to.be.above(500);
      expect(b.trace).to.deep.equal(a.trace);
      expect(b.now).to.equal(a.now);
      expect(c.trace).to.not.deep.equal(a.trace);
      expect(c.replies).to.deep.equal(a.replies);
    });

    it("with a fixed latency, the seed changes nothing", async () => {
      const a = await echoRun(1, 10, 4, 0.01);
      const b = await echoRun(2, 10, 4, 0.01);
      expect(b.trace).to.deep.equal(a.trace);
    });
  });

  describe("latency", () => {
    async function deliveryTimes(seed: number, latency: Latency): Promise<number[]> {
      const { net, copas } = sim({ seed, latency, chunkSize: 1, trace: true });
      const [server] = await net.socket.bind("10.0.0.1", 80);
      copas.addserver(server!, function* (skt) {
        yield* copas.receive(skt, 10);
      });
      copas.addthread(function* () {
        const c = copas.wrap(net.socket.tcp());
        yield* c.connect("10.0.0.1", 80);
        yield* c.send("0123456789");
        yield* c.receive(); // the server closes
        c.close();
        copas.removeserver(server!);
      });
      await copas.loop();
      return copas
        .gettrace()
        .filter((l) => l.includes(" deliver "))
        .map((l) => Number(l.split(" ")[0]));
    }

    it("draws from [min, max] per delivery, the same for one seed, in order", async () => {
      const a = await deliveryTimes(11, [0.1, 0.2]);
      expect(a).to.have.length(10);
      expect(await deliveryTimes(11, [0.1, 0.2])).to.deep.equal(a);
      expect(await deliveryTimes(12, [0.1, 0.2])).to.not.deep.equal(a);
      // The connection took between 0.2 and 0.4 s (there and back); bytes never overtake.
      for (let i = 1; i < a.length; i++) expect(a[i]!).to.be.at.least(a[i - 1]!);
      expect(a[0]!).to.be.at.least(0.3).and.at.most(0.6);
      expect(a[9]!).to.be.at.most(0.6);
    });

    it("delivers a fixed latency at exact times", async () => {
      const a = await deliveryTimes(0, 0.25);
      // connect: 0.25 there, 0.25 back; the bytes, sent at 0.5, arrive at 0.75.
      expect(a).to.deep.equal(Array(10).fill(0.75));
    });

    it("takes new settings from setLatency and setChunkSize", async () => {
      const { net, copas } = sim({ trace: true });
      const [server] = await net.socket.bind("10.0.0.1", 80);
      copas.addserver(server!, function* (skt) {
        yield* copas.receive(skt, 8);
      });
      copas.addthread(function* () {
        const c = copas.wrap(net.socket.tcp());
        yield* c.connect("10.0.0.1", 80);
        net.setLatency(2);
        net.setChunkSize(4);
        yield* c.send("abcdefgh");
        yield* c.receive();
        c.close();
        copas.removeserver(server!);
      });
      await copas.loop();
      const deliveries = copas.gettrace().filter((l) => l.includes(" deliver "));
      expect(deliveries).to.deep.equal([
        "2 deliver 127.0.0.1:49152>10.0.0.1:80 4 bytes",
        "2 deliver 127.0.0.1:49152>10.0.0.1:80 4 bytes",
      ]);
    });
  });

  describe("faults", () => {
    it('refuses a connection where nothing listens with "connection refused"', async () => {
      const { net, copas } = sim({ latency: 0.1 });
      const got: unknown[] = [];
      copas.addthread(function* () {
        const c = copas.wrap(net.socket.tcp());
        got.push(yield* c.connect("10.9.9.9", 1234), copas.gettime());
      });
      await copas.loop();
      expect(got).to.deep.equal([[null, "connection refused"], 0.2]);
      // Outside a dispatcher, time moves when the test moves it.
      const p = net.socket.connect("10.9.9.9", 1234);
      net.clock.advance(0.2);
      expect(await p).to.deep.equal([null, "connection refused"]);
    });

    it("holds data across a partition (receive times out) and delivers it on heal", async () => {
      const { net, copas } = sim({ latency: 0.01, trace: true });
      const [server] = await net.socket.bind("10.0.0.1", 7);
      copas.addserver(server!, echo(copas));
      const got: unknown[] = [];
      copas.addthread(function* () {
        const c = copas.wrap(net.socket.tcp());
        yield* c.connect("10.0.0.1", 7);
        c.settimeout(5);
        net.partition("127.0.0.1", "10.0.0.1");
        expect(net.partitioned("10.0.0.1", "localhost")).to.equal(true);
        yield* c.send("held\n");
        const t0 = copas.gettime();
        got.push(yield* c.receive(), copas.gettime() - t0);
        net.heal("10.0.0.1");
        got.push(yield* c.receive());
        yield* c.send("after\n");
        got.push(yield* c.receive());
        c.close();
        copas.removeserver(server!);
      });
      await copas.loop();
      expect(got).to.deep.equal([[null, "timeout", ""], 5, ["held", null, null], ["after", null, null]]);
      const trace = copas.gettrace();
      expect(trace).to.include("0.02 fault partition 10.0.0.1 127.0.0.1");
      expect(trace.some((l) => / held 127\.0\.0\.1:49152>10\.0\.0\.1:7 partition$/.test(l))).to.equal(true);
      expect(trace).to.include("5.02 fault heal 10.0.0.1 127.0.0.1");
    });

    it("holds a connection attempt across a partition", async () => {
      const { net, copas } = sim();
      const [server] = await net.socket.bind("db", 1);
      copas.addserver(server!, function* () {});
      net.partition("app", "db");
      const got: unknown[] = [];
      copas.addthread(function* () {
        const raw = net.socket.tcp();
        raw.bind("app", 0);
        const c = copas.wrap(raw);
        c.settimeouts(3, null, null);
        got.push(yield* c.connect("db", 1), copas.gettime());
        net.heal();
        const c2 = copas.wrap(net.socket.tcp());
        got.push(yield* c2.connect("db", 1));
        c.close();
        c2.close();
        copas.removeserver(server!);
      });
      await copas.loop();
      expect(got).to.deep.equal([[null, "timeout"], 3, [1, null]]);
    });

    it('resets a connection: "closed" on both ends', async () => {
      const { net, copas } = sim({ latency: 0.01, trace: true });
      const [server] = await net.socket.bind("10.0.0.1", 7);
      const got: unknown[] = [];
      let serverSide: AnySocket | null = null;
      copas.addserver(server!, function* (skt) {
        serverSide = skt;
        got.push(["server", yield* copas.receive(skt)]);
      });
      copas.addthread(function* () {
        const c = copas.wrap(net.socket.tcp());
        yield* c.connect("10.0.0.1", 7);
        yield* copas.pause(1);
        net.reset(serverSide!);
        got.push(["client", yield* c.receive()]);
        got.push(["send", yield* c.send("x\n")]);
        c.close();
        copas.removeserver(server!);
      });
      await copas.loop();
      // The client's thread called reset, so it sees "closed" first; then the server's.
      expect(got).to.deep.equal([
        ["client", [null, "closed", ""]],
        ["send", [null, "closed", 0]],
        ["server", [null, "closed", ""]],
      ]);
      expect(copas.gettrace()).to.include("1.02 fault reset 10.0.0.1:7>127.0.0.1:49152");
    });

    it("refuses connections once the backlog of unaccepted ones is full", async () => {
      const { net, copas } = sim({ trace: true });
      const [server] = await net.socket.bind("10.0.0.1", 7, 2);
      const got: unknown[] = [];
      copas.addthread(function* () {
        const cs = [0, 1, 2].map(() => copas.wrap(net.socket.tcp()));
        for (const c of cs) got.push(yield* c.connect("10.0.0.1", 7));
        const [accepted] = server!.accept();
        const c4 = copas.wrap(net.socket.tcp());
        got.push(yield* c4.connect("10.0.0.1", 7));
        for (const c of [...cs, c4]) c.close();
        accepted!.close();
        server!.close();
      });
      await copas.loop();
      expect(got).to.deep.equal([[1, null], [1, null], [null, "connection refused"], [1, null]]);
      expect(copas.gettrace()).to.include("0 refuse 127.0.0.1:49154>10.0.0.1:7 backlog full");
    });

    it("half-closes: the peer reads to the end and can still answer", async () => {
      const { net, copas } = sim({ latency: 0.01, chunkSize: 2 });
      const [server] = await net.socket.bind("10.0.0.1", 7);
      const got: unknown[] = [];
      copas.addserver(server!, function* (skt) {
        const [all] = yield* copas.receive(skt, "*a");
        got.push(all);
        yield* copas.send(skt, `got ${all!.length} bytes`);
      });
      copas.addthread(function* () {
        const raw = net.socket.tcp();
        const c = copas.wrap(raw);
        yield* c.connect("10.0.0.1", 7);
        yield* c.send("request body");
        raw.shutdown("send");
        got.push(yield* c.receive("*a"));
        c.close();
        copas.removeserver(server!);
      });
      await copas.loop();
      expect(got).to.deep.equal(["request body", ["got 12 bytes", null, null]]);
    });
  });

  describe("hosts", () => {
    it("names each end by its host and port; a client's host is the one it bound", async () => {
      const { net, copas } = sim();
      const [server] = await net.socket.bind("*", 5432);
      const names: unknown[] = [];
      copas.addserver(server!, function* (skt) {
        const raw = skt;
        names.push(raw.getsockname(), raw.getpeername());
      });
      copas.addthread(function* () {
        const raw = net.socket.tcp();
        raw.bind("app-1", 0);
        const c = copas.wrap(raw);
        yield* c.connect("db", 5432);
        names.push(c.getsockname(), c.getpeername());
        const d = copas.wrap(net.socket.tcp());
        yield* d.connect("localhost", 5432);
        names.push(d.getsockname());
        c.close();
        d.close();
        copas.removeserver(server!);
      });
      await copas.loop();
      expect(names).to.deep.equal([
        ["db", 5432, "inet"],
        ["app-1", 49152, "inet"],
        ["app-1", 49152, "inet"],
        ["db", 5432, "inet"],
        ["127.0.0.1", 5432, "inet"], // the second handler runs on accept, before connect returns
        ["127.0.0.1", 49152, "inet"],
        ["127.0.0.1", 49152, "inet"],
      ]);
    });
  });

  describe("buffers", () => {
    it("bounds unsent and unread bytes, and the sender waits until the reader drains", async () => {
      const { net, copas } = sim({ latency: 0.001, chunkSize: 4096 });
      const [server] = await net.socket.bind("10.0.0.1", 7);
      const size = 1024 * 1024;
      const got: unknown[] = [];
      let serverSide: TcpSocket | null = null;
      copas.addserver(server!, function* (skt) {
        serverSide = skt;
        yield* copas.pause(10); // not reading yet
        const [all] = yield* copas.receive(skt, size);
        got.push(all!.length, copas.gettime() >= 10);
      });
      copas.addthread(function* () {
        const raw = net.socket.tcp();
        const c = copas.wrap(raw);
        yield* c.connect("10.0.0.1", 7);
        const [last, err] = yield* c.send("x".repeat(size));
        got.push(last, err, copas.gettime() >= 10);
        c.close();
        copas.removeserver(server!);
      });
      copas.addthread(function* () {
        yield* copas.pause(5);
        // Mid-way, both bounds hold: the sender's unsent bytes, the receiver's unread ones.
        const client = serverSide!;
        const unread = (client as unknown as { dirty(): boolean }).dirty();
        got.push(unread);
        const peerUnsent = (client._stream as unknown as { _peer: { writableLength: number } })._peer.writableLength;
        got.push(peerUnsent <= 64 * 1024);
        got.push(peerUnsent > 0);
      });
      await copas.loop();
      expect(got).to.deep.equal([true, true, true, size, null, true, size, true]);
    });
  });

  describe("two-thread ping-pong, step by step", () => {
    it("runs exactly these threads in these steps", async () => {
      const { net, copas } = sim({ auto: false, trace: true });
      const [server] = await net.socket.bind("10.0.0.1", 7);
      copas.addserver(
        server!,
        function* (skt) {
          for (let i = 0; i < 2; i++) {
            const [line] = yield* copas.receive(skt);
            yield* copas.send(skt, `pong ${line}\n`);
          }
        },
        null,
        "pong",
      );
      copas.addnamedthread("ping", function* () {
        const c = copas.wrap(net.socket.tcp());
        copas.setsocketname("ping-socket", c);
        yield* c.connect("10.0.0.1", 7);
        for (let i = 0; i < 2; i++) {
          yield* c.send(`${i}\n`);
          yield* c.receive();
        }
        c.close();
        copas.removeserver(server!);
      });
      const steps: string[][] = [];
      let seen = 0;
      while (!copas.finished() && steps.length < 20) {
        await copas.step();
        const t = copas.gettrace();
        steps.push(t.slice(seen).map((l) => l.replace(/^\S+ /, "")));
        seen = t.length;
      }
      // Latency 0: what a step's wait delivers, the same step runs. The handler starts on
      // accept; its reply flows while it runs on; it ends (autoclose) with its second reply.
      expect(steps).to.deep.equal([
        ["listen 10.0.0.1:7", "run ping start"],
        ["connect 127.0.0.1:49152>10.0.0.1:7", "run pong:handler_1 accept pong", "run ping writable ping-socket"],
        ["deliver 127.0.0.1:49152>10.0.0.1:7 2 bytes", "run pong:handler_1 readable pong:client_1"],
        ["deliver 10.0.0.1:7>127.0.0.1:49152 7 bytes", "run ping readable ping-socket"],
        ["deliver 127.0.0.1:49152>10.0.0.1:7 2 bytes", "run pong:handler_1 readable pong:client_1", "end pong:handler_1"],
        ["deliver 10.0.0.1:7>127.0.0.1:49152 7 bytes", "fin 10.0.0.1:7>127.0.0.1:49152", "run ping readable ping-socket", "end ping"],
      ]);
      expect(copas.gettrace().every((l) => l.startsWith("0 "))).to.equal(true);
    });
  });

  describe("bad input", () => {
    it("rejects bad options with errors naming them", () => {
      const clock = new ManualClock();
      expect(() => new SimNetwork({ clock, latency: -1 })).to.throw(TypeError, /bad argument 'latency'.*\[min, max\]/);
      expect(() => new SimNetwork({ clock, latency: [2, 1] })).to.throw(TypeError, /latency/);
      expect(() => new SimNetwork({ clock, chunkSize: 0 })).to.throw(TypeError, /chunkSize.*integer >= 1/);
      expect(() => new SimNetwork({ clock, chunkSize: 1.5 })).to.throw(TypeError, /chunkSize/);
      expect(() => new SimNetwork({ clock, seed: NaN })).to.throw(TypeError, /options.seed/);
      expect(() => new SimNetwork({ clock: {} as ManualClock })).to.throw(TypeError, /options.clock/);
      const net = new SimNetwork({ clock });
      expect(() => net.setLatency([1] as unknown as number)).to.throw(TypeError, /setLatency: bad argument 'latency'/);
      expect(() => net.setChunkSize(-3)).to.throw(TypeError, /setChunkSize/);
      expect(() => net.partition("", "b")).to.throw(TypeError, /partition: bad argument 'a'/);
      expect(() => net.partition("a", "a")).to.throw(TypeError, /partition: bad argument 'b'/);
      expect(() => net.heal(null, "b")).to.throw(TypeError, /heal: bad argument 'a'/);
      expect(() => net.reset(realSocket.tcp())).to.throw(TypeError, /reset: bad argument 'skt' \(expected a connected TCP socket of this SimNetwork/);
      expect(() => net.reset(net.socket.tcp())).to.throw(TypeError, /reset/);
      expect(new SimNetwork().clock).to.be.instanceOf(ManualClock);
    });

    it("rejects ports out of range and unknown hosts", async () => {
      const net = new SimNetwork();
      const bad = await net.socket.bind("10.0.0.1", 70000).catch((e: unknown) => e);
      expect(bad).to.be.instanceOf(TypeError).with.property("message").match(/port number from 0 to 65535/);
      expect(() => net.socket.connect("10.0.0.1", -1)).to.throw(TypeError, /port/);
      expect(() => net.socket.tcp().connect("x", 1.5)).to.throw(TypeError, /port/);
      const connect = (host: string) => {
        const p = net.socket.connect(host, 80);
        net.clock.advance(0); // outside a dispatcher, the test moves time
        return p;
      };
      expect(await connect("")).to.deep.equal([null, "host not found"]);
      expect(await connect("0.0.0.0")).to.deep.equal([null, "host not found"]);
      expect(await connect("no such host")).to.deep.equal([null, "host not found"]);
      const [a] = await net.socket.bind("*", 80);
      expect(a!.getsockname()).to.deep.equal(["0.0.0.0", 80, "inet"]);
      expect(await net.socket.bind("10.0.0.1", 80)).to.deep.equal([null, "address already in use"]);
      a!.close();
      const [b] = await net.socket.bind("10.0.0.1", 80);
      expect(b).to.not.equal(null);
      b!.close();
    });

    it("refuses a real socket on a simulated dispatcher, and the reverse", () => {
      const { net, copas } = sim();
      expect(() => copas.wrap(realSocket.tcp())).to.throw(
        TypeError,
        "wrap: bad argument 'skt' (the socket belongs to the real network, this dispatcher runs on a simulated network)",
      );
      expect(() => copas.addserver(realSocket.tcp(), function* () {})).to.throw(TypeError, /real network/);
      const real = new Copas();
      expect(() => real.wrap(net.socket.tcp())).to.throw(
        TypeError,
        "wrap: bad argument 'skt' (the socket belongs to a simulated network, this dispatcher runs on the real network)",
      );
      const other = sim().copas;
      expect(() => other.wrap(net.socket.tcp())).to.throw(TypeError, /a simulated network, another one/);
    });
  });
});
