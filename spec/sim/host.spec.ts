import { expect } from "chai";
import { Copas, type AnySocket } from "copas";
import { ManualClock, SimNetwork, type SimHost } from "copas/sim";
import { sim } from "./helpers.js";

const at = (d: Copas) => d.gettime().toFixed(2);

/** A key-value store on host "db": "set k v" / "get k"; its data survives only in h.disk. */
function kvHost(d: Copas, net: SimNetwork, log: string[]) {
  return function* (h: SimHost) {
    log.push(`boot ${h.boots} at ${at(d)}`);
    const data = (h.disk.get("data") as Map<string, string> | undefined) ?? new Map<string, string>();
    h.disk.set("data", data);
    const [server, err] = yield* d.await(net.socket.bind("db", 6000));
    if (server === null) throw new Error(String(err));
    d.addserver(server, function* (skt: AnySocket) {
      try {
        for (;;) {
          const [line] = yield* d.receive(skt);
          if (line === null) return;
          const [cmd, k, v] = line.split(" ");
          if (cmd === "set") data.set(k!, v!);
          yield* d.send(skt, `${data.get(k!) ?? "-"}\n`);
        }
      } finally {
        log.push(`handler ends at ${at(d)}`);
      }
    });
    // A background task of the host: it must die with the host.
    d.addthread(function* () {
      for (;;) {
        yield* d.pause(1);
        log.push(`tick ${h.boots} at ${at(d)}`);
      }
    });
  };
}

describe("sim/host: crash and restart", () => {
  it("kills the host's threads and sockets, keeps its disk, runs its start function again", async () => {
    const { net, copas: d } = sim({ latency: 0.01, trace: true });
    const log: string[] = [];
    const db = net.host("db", kvHost(d, net, log));
    const seen: unknown[] = [];
    d.addnamedthread("client", function* () {
      const c = d.wrap(net.socket.tcp());
      c.bind("10.0.0.9", 0);
      yield* d.pause(1.5);
      expect((yield* c.connect("db", 6000))[0]).to.equal(1);
      c.settimeout(3);
      yield* c.send("set a 1\n");
      seen.push((yield* c.receive())[0]);
      net.crash("db");
      expect(db.up).to.equal(false);
      expect(net.isdown("db")).to.equal(true);
      // Silence: the request waits for a host that is not there.
      yield* c.send("get a\n");
      seen.push((yield* c.receive())[1]);
      net.restart("db");
      // What was sent meanwhile reaches the new host, which answers with a reset.
      seen.push((yield* c.receive())[1]);
      c.close();
      yield* d.pause(0.1);
      const c2 = d.wrap(net.socket.tcp());
      expect((yield* c2.connect("db", 6000))[0]).to.equal(1);
      yield* c2.send("get a\n");
      seen.push((yield* c2.receive())[0]); // from the disk
      c2.close();
      yield* d.pause(2);
      net.crash("db"); // its server and its ticking thread go: the loop can end
    });
    await d.loop();
    expect(seen).to.deep.equal(["1", "timeout", "closed", "1"]);
    expect(db.boots).to.equal(2);
    expect(log).to.deep.equal([
      "boot 1 at 0.00",
      "tick 1 at 1.00",
      "handler ends at 1.54", // unwound by the crash: its finally block ran
      "boot 2 at 4.54",
      "handler ends at 4.69", // the client closed
      "tick 2 at 5.54",
      "tick 2 at 6.54",
    ]);
    const trace = d.gettrace();

    expect(trace).to.include("1.54 fault crash db");
    expect(trace).to.include("4.54 fault restart db");
    expect(trace.some((l) => /^1\.55 held 10\.0\.0\.9:\d+>db:6000 host down$/.test(l))).to.equal(true);
    expect(trace.some((l) => /^4\.54 refused 10\.0\.0\.9:\d+>db:6000 peer closed, reset$/.test(l))).to.equal(true);

  });

  it("removes the handlers of the host's servers and the threads they add; others live on", async () => {
    const { net, copas: d } = sim({ latency: 0.01 });
    const seen: string[] = [];
    net.host("web", function* () {
      const [server] = yield* d.await(net.socket.bind("web", 80));
      d.addserver(server!, function* (skt: AnySocket) {
        d.addthread(function* () {
          try {
            yield* d.pauseforever();
          } finally {
            seen.push(`helper unwound at ${at(d)}`);
          }
        });
        yield* d.receive(skt);
      });
    });
    d.addthread(function* () {
      const c = d.wrap(net.socket.tcp());
      yield* c.connect("web", 80);
      yield* d.pause(1);
      expect(d.status().read).to.equal(2); // the server and its handler's socket
      net.crash("web");
      yield* d.pause(0);
      expect(d.status().read).to.equal(0);
      // The client is not of the host: it lives on, and hears nothing.
      c.settimeout(1);
      seen.push(`client: ${(yield* c.receive())[1]}`);
      c.close();
    });
    await d.loop();
    expect(seen).to.deep.equal(["helper unwound at 1.02", "client: timeout"]);
  });

  it("does not run a thread that a crashed host's unwinding adds", async () => {
    const { net, copas: d } = sim();
    const seen: string[] = [];
    net.host("h", () => {
      d.addthread(function* () {
        try {
          yield* d.pauseforever();
        } finally {
          d.addthread(() => seen.push("ran after the crash"));
          seen.push("unwound");
        }
      });
    });
    d.addthread(function* () {
      yield* d.pause(1);
      net.crash("h");
    });
    await d.loop();
    expect(seen).to.deep.equal(["unwound"]);
  });

  it("makes a connection attempt to a down host wait until it is back", async () => {
    const { net, copas: d } = sim({ latency: 0.01, trace: true });
    net.host("db", function* () {
      const [server] = yield* d.await(net.socket.bind("db", 1));
      d.addserver(server!, function* (skt: AnySocket) {
        yield* d.send(skt, "hello\n");
      });
    });
    net.crash("db");
    const seen: unknown[] = [];
    d.addthread(function* () {
      const c = d.wrap(net.socket.tcp());
      d.addthread(function* () {
        yield* d.pause(5);
        net.restart("db");
      });
      seen.push(yield* c.connect("db", 1), at(d));
      seen.push((yield* c.receive())[0]);
      c.close();
      net.crash("db");
    });
    await d.loop();
    // Held at 0.01 (host down), sent again at 1.01, 3.01, 7.01 (as TCP retransmits a SYN): the
    // host is back since 5 s, its new server answers.
    expect(seen).to.deep.equal([[1, null], "7.02", "hello"]);
    expect(d.gettrace().some((l) => /^0\.01 held 127\.0\.0\.1:\d+>db:1 host down$/.test(l))).to.equal(true);
  });

  it("gives up a connection attempt to a host that stays down after 127 s, as TCP does", async () => {
    const { net, copas: d } = sim({ latency: 0.01, trace: true });
    net.crash("db");
    const seen: unknown[] = [];
    d.addthread(function* () {
      const c = d.wrap(net.socket.tcp());
      seen.push(yield* c.connect("db", 1), at(d));
    });
    await d.loop();
    expect(seen).to.deep.equal([[null, "host is unreachable"], "127.01"]);
    expect(d.gettrace().some((l) => /^127\.01 timeout 127\.0\.0\.1:\d+>db:1 host down$/.test(l))).to.equal(true);
  });

  it("refuses a connection after a restart when nothing listens again", async () => {
    const { net, copas: d } = sim({ latency: 0.01 });
    const [server] = await net.socket.bind("db", 1);
    d.addserver(server!, function* () {});
    const seen: unknown[] = [];
    d.addthread(function* () {
      net.crash("db"); // a host without a start function: its listener is gone for good
      d.removeserver(server!); // (its server was not added by the host's group)
      net.restart("db");
      const c = d.wrap(net.socket.tcp());
      seen.push(yield* c.connect("db", 1));
    });
    await d.loop();
    expect(seen).to.deep.equal([[null, "connection refused"]]);
  });

  it("closes the host's datagram sockets and drops datagrams to it while it is down", async () => {
    const { net, copas: d } = sim({ latency: 0.01, trace: true });
    const seen: unknown[] = [];
    d.addthread(function* () {
      const u = d.wrap(net.socket.udp());
      yield u.setsockname("db", 53);
      const v = d.wrap(net.socket.udp());
      yield v.setsockname("10.0.0.1", 0);
      net.crash("db");
      seen.push(yield* u.receive()); // its socket died with it
      v.sendto("ping", "db", 53);
      yield* d.pause(1);
      v.close();
      u.close();
    });
    await d.loop();
    expect(seen).to.deep.equal([[null, "closed", null]]);
    expect(d.gettrace().some((l) => /drop udp 10\.0\.0\.1:\d+>db:53 4 bytes host down$/.test(l))).to.equal(true);
  });

  it("crashes and restarts hosts from the seed (faults.crash, downtime), the same way for one seed", async () => {
    const run = async (seed: number) => {
      const clock = new ManualClock();
      clock.autoAdvance = true;
      const net = new SimNetwork({ clock, seed, latency: 0.01, faults: { crash: 0.2, downtime: [1, 3], until: 60 } });
      const d = new Copas({ network: net, trace: true });
      const boots: string[] = [];
      const h = net.host("worker", function* (host: SimHost) {
        boots.push(`${host.boots}@${at(d)}`);
        for (;;) yield* d.pause(1);
      });
      d.addthread(function* () {
        yield* d.pause(100);
        net.crash("worker"); // the end
      });
      await d.loop();
      return { boots, n: h.boots, faults: d.gettrace().filter((l) => / fault (crash|restart) /.test(l)) };
    };
    const a = await run(3);
    expect(a.n).to.be.above(3);
    expect(a.boots).to.have.length(a.n);
    expect(a.faults.length).to.equal(2 * a.n - 1); // the last crash is the test's
    expect(await run(3)).to.deep.equal(a);
    expect((await run(4)).boots).to.not.deep.equal(a.boots);
  });

  it("gives each host a clock of its own: skew set by hand or drawn at each start", async () => {
    const clock = new ManualClock(100);
    clock.autoAdvance = true;
    const net = new SimNetwork({ clock, seed: 1, faults: { skew: [-2, 2] } });
    const d = new Copas({ network: net, trace: true });
    const skews: number[] = [];
    const a = net.host("a", (h: SimHost) => {
      skews.push(h.now() - d.gettime());
    });
    const b = net.host("b");
    b.skew = -0.25;
    expect(b.now()).to.equal(99.75);
    await d.loop();
    net.restart("a");
    await d.loop();
    expect(skews).to.have.length(2);
    expect(skews[0]).to.not.equal(skews[1]);
    for (const s of skews) expect(s).to.be.within(-2, 2);
    expect(a.skew).to.equal(skews[1]);
    expect(d.gettrace().filter((l) => / fault skew a /.test(l))).to.have.length(2);
  });

  it("starts a host made before its dispatcher when the dispatcher is made", async () => {
    const clock = new ManualClock();
    clock.autoAdvance = true;
    const net = new SimNetwork({ clock });
    let ran = 0;
    const h = net.host("early", () => {
      ran++;
    });
    expect(h.boots).to.equal(0);
    const d = new Copas({ network: net });
    await d.loop();
    expect([ran, h.boots]).to.deep.equal([1, 1]);
  });

  it("restart() of a host that is up crashes it first; crash() of a down host does nothing", () => {
    const { net, copas: d } = sim({ trace: true });
    net.restart("x");
    net.crash("x");
    net.crash("x");
    expect(d.gettrace().map((l) => l.replace(/^\S+ /, ""))).to.deep.equal(["fault crash x", "fault restart x", "fault crash x"]);
  });

  it("checks its arguments", () => {
    const { net } = sim();
    expect(() => net.crash("")).to.throw(TypeError, /crash: bad argument 'host'/);
    expect(() => net.restart(3 as never)).to.throw(TypeError, /restart: bad argument 'host'/);
    expect(() => net.host("h", 5 as never)).to.throw(TypeError, /host: bad argument 'start'/);
    net.host("h", function* () {});
    expect(() => net.host("h", function* () {})).to.throw(TypeError, /has a start function already/);
  });
});
