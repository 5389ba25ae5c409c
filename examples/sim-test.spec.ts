// Testing your own handler deterministically, with copas/sim: no real sockets, no real time,
// the same interleaving on every run. Run it with `npx mocha examples/sim-test.spec.ts`.
//
// The handler under test is a tiny counter service: "incr <n>" adds n and answers the total,
// "get" answers the total, "bye" ends; a client silent for 30 s is told "idle" and dropped.
// It takes the dispatcher as a parameter, so production code passes the default `copas` and
// tests pass one built on a ManualClock and a SimNetwork.
import { expect } from "chai";
import copas, { Copas, type AnySocket } from "copas";
import { ManualClock, SimNetwork } from "copas/sim";

// ---- the code under test (in a real project: imported from your own module) -------------

export function counterService(d: Copas = copas) {
  let total = 0;
  return function* handler(skt: AnySocket) {
    d.settimeouts(skt, null, null, 30); // receive timeout: 30 s
    for (;;) {
      const [line, err] = yield* d.receive(skt);
      if (err === "timeout") {
        yield* d.send(skt, "idle\n");
        return;
      }
      if (line === null || line === "bye") return;
      const [cmd, arg] = line.split(" ");
      if (cmd === "incr") total += Number(arg);
      else if (cmd !== "get") {
        yield* d.send(skt, `error unknown command ${cmd}\n`);
        continue;
      }
      yield* d.send(skt, `${total}\n`);
    }
  };
}

// ---- the tests -------------------------------------------------------------------------

/** A dispatcher on virtual time and an in-memory network, with the service on db:6000. */
async function world(opts: { seed?: number; latency?: number | [number, number]; chunkSize?: number } = {}) {
  const clock = new ManualClock();
  clock.autoAdvance = true; // idle steps jump to the next timer: 30 s take no real time
  const net = new SimNetwork({ clock, ...opts });
  const d = new Copas({ network: net, trace: true });
  const [server, err] = await net.socket.bind("db", 6000);
  if (server === null) throw new Error(err);
  d.addserver(server, counterService(d), null, "counter");
  /** Runs `client` as a thread on host `host`, then stops the server when every client is done. */
  let clients = 0;
  const client = (host: string, body: (skt: ReturnType<Copas["wrap"]>) => Generator<unknown, void, unknown>) => {
    clients++;
    d.addnamedthread(host, function* () {
      const raw = net.socket.tcp();
      raw.bind(host, 0); // this client's host: the address partitions and traces name
      const skt = d.wrap(raw);
      const [ok, e] = yield* skt.connect("db", 6000);
      if (ok === null) throw new Error(`connect: ${e}`);
      yield* body(skt);
      skt.close();
      if (--clients === 0) d.removeserver(server);
    });
  };
  return { clock, net, d, client };
}

describe("example: testing a handler with copas/sim", () => {
  it("answers commands, even one byte at a time over a slow network", async () => {
    const { d, client } = await world({ latency: [0.01, 0.2], chunkSize: 1, seed: 3 });
    const answers: unknown[] = [];
    client("10.0.0.1", function* (skt) {
      for (const cmd of ["incr 5", "incr 2", "get", "frobnicate", "bye"]) {
        yield* skt.send(cmd + "\n");
        if (cmd !== "bye") answers.push((yield* skt.receive())[0]);
      }
    });
    await d.loop();
    expect(answers).to.deep.equal(["5", "7", "7", "error unknown command frobnicate"]);
  });

  it("drops a silent client after exactly 30 s of virtual time", async () => {
    const { d, client } = await world({ latency: 0.05 });
    const seen: unknown[] = [];
    client("10.0.0.2", function* (skt) {
      const t0 = d.gettime();
      seen.push((yield* skt.receive())[0]);
      seen.push(Math.round((d.gettime() - t0) * 1000) / 1000);
      seen.push((yield* skt.receive())[1]);
    });
    await d.loop();
    // The server accepts at 0.05 s (one way), times out at 30.05 s, and "idle" arrives at
    // 30.1 s: exactly 30 s after the client saw its connection established at 0.1 s.
    expect(seen).to.deep.equal(["idle", 30, "closed"]);
  });

  it("keeps clients apart: one behind a partition times out, the other is served", async () => {
    const { d, net, client } = await world({ latency: 0.01 });
    const seen: string[] = [];
    client("10.0.0.3", function* (skt) {
      net.partition("10.0.0.3", "db");
      skt.settimeout(5);
      yield* skt.send("incr 1\n");
      seen.push(`cut off: ${(yield* skt.receive())[1]} at ${d.gettime().toFixed(2)}`);
      net.heal();
      seen.push(`healed: ${(yield* skt.receive())[0]}`);
    });
    client("10.0.0.4", function* (skt) {
      yield* skt.send("incr 10\n");
      seen.push(`other: ${(yield* skt.receive())[0]}`);
    });
    await d.loop();
    expect(seen).to.deep.equal(["other: 10", "cut off: timeout at 5.02", "healed: 11"]);
  });

  it("runs the same way every time: the trace of two runs is identical", async () => {
    const run = async () => {
      const { d, client } = await world({ latency: [0.001, 0.1], seed: 42 });
      for (const host of ["10.0.1.1", "10.0.1.2", "10.0.1.3"]) {
        client(host, function* (skt) {
          yield* skt.send("incr 1\n");
          yield* skt.receive();
          yield* skt.send("bye\n");
        });
      }
      await d.loop();
      return d.gettrace();
    };
    const first = await run();
    expect(await run()).to.deep.equal(first);
    // Lines read "<virtual time> <event>": which thread ran and what woke it, bytes delivered.
    expect(first.some((l) => / run counter:handler_\d readable counter:client_\d$/.test(l))).to.equal(true);
    expect(first.some((l) => / deliver 10\.0\.1\.1:\d+>db:6000 7 bytes$/.test(l))).to.equal(true);
  });
});
