import { expect } from "chai";
import { Copas } from "copas";
import { ManualClock, SimNetwork, type FaultOptions, type Latency } from "copas/sim";
import { echo } from "./helpers.js";

function world(seed: number, latency: Latency, faults?: FaultOptions) {
  const clock = new ManualClock();
  clock.autoAdvance = true;
  const net = new SimNetwork({ clock, seed, latency, ...(faults ? { faults } : {}) });
  const d = new Copas({ network: net, trace: true });
  return { clock, net, d };
}

/** `clients` clients on hosts 10.1.0.i each send `lines` lines to an echo server and read them back. */
async function echoRun(
  seed: number,
  faults: FaultOptions | undefined,
  clients = 4,
  lines = 20,
  latency: Latency = [0.001, 0.02],
  setup?: (net: SimNetwork) => void,
) {
  const { net, d } = world(seed, latency, faults);
  setup?.(net);
  const [server] = await net.socket.bind("10.0.0.1", 7);
  d.addserver(server!, echo(d), null, "echo");
  const got: string[][] = [];
  let done = 0;
  for (let i = 0; i < clients; i++) {
    d.addnamedthread(`client${i}`, function* () {
      const raw = net.socket.tcp();
      raw.bind(`10.1.0.${i}`, 0);
      const c = d.wrap(raw);
      c.settimeout(30);
      const mine: string[] = (got[i] = []);
      const [ok, err] = yield* c.connect("10.0.0.1", 7);
      if (ok === null) mine.push(`connect ${err}`);
      else {
        for (let k = 0; k < lines; k++) {
          const [, e1] = yield* c.send(`line ${k} of client ${i}\n`);
          const [line, e2] = yield* c.receive();
          if (e1 !== null || e2 !== null) {
            mine.push(`error ${e1 ?? e2}`);
            break;
          }
          mine.push(line);
        }
      }
      c.close();
      if (++done === clients) d.removeserver(server!);
    });
  }
  await d.loop();
  return { got, trace: d.gettrace() };
}

/** `n` numbered datagrams from 10.0.0.2 to 10.0.0.1:9, 10 ms apart; what arrived, in order. */
async function udpRun(seed: number, faults: FaultOptions, n = 100, pair?: FaultOptions) {
  const { net, d } = world(seed, [0.001, 0.005], faults);
  if (pair) net.setFaults(pair, "10.0.0.2", "10.0.0.1");
  const got: number[] = [];
  d.addthread(function* () {
    const rx = d.wrap(net.socket.udp());
    yield* d.await(rx.setsockname("10.0.0.1", 9));
    const tx = d.wrap(net.socket.udp());
    yield* d.await(tx.setsockname("10.0.0.2", 0));
    d.addthread(function* () {
      for (let k = 0; k < n; k++) {
        tx.sendto(String(k), "10.0.0.1", 9);
        yield* d.pause(0.01);
      }
    });
    rx.settimeout(1);
    for (;;) {
      const [data] = yield* rx.receive();
      if (data === null) break;
      got.push(Number(data));
    }
    rx.close();
    tx.close();
  });
  await d.loop();
  return { got, trace: d.gettrace() };
}

const faultLines = (trace: string[]) => trace.filter((l) => / fault /.test(l));

describe("sim/faults: faults drawn from the seed", () => {
  it("are off by default: a network with no rates runs exactly as before (no draw, no line)", async () => {
    const plain = await echoRun(9, undefined);
    const zero = await echoRun(9, { reset: 0, spike: 0, loss: 0, partition: 0, crash: 0, until: 10 });
    expect(zero.trace).to.deep.equal(plain.trace);
    expect(faultLines(plain.trace)).to.deep.equal([]);
  });

  it("reset: resets connections at deliveries (both ends 'closed'), the same ones for one seed", async () => {
    const a = await echoRun(1, { reset: 0.02 });
    const resets = a.trace.filter((l) => / fault reset 10\.\S+ ?/.test(l));
    expect(resets.length).to.be.above(0);
    const broken = a.got.filter((g) => g[g.length - 1] === "error closed");
    expect(broken.length).to.be.above(0);
    expect(broken.length).to.be.at.most(resets.length);
    expect(await echoRun(1, { reset: 0.02 })).to.deep.equal(a);
    expect((await echoRun(2, { reset: 0.02 })).trace).to.not.deep.equal(a.trace);
  });

  it("spike: adds a latency spike drawn from spikeLatency to some deliveries", async () => {
    const a = await echoRun(3, { spike: 0.05, spikeLatency: [1, 2] }, 2, 20, 0.001);
    const spikes = a.trace.filter((l) => / fault spike /.test(l));
    expect(spikes.length).to.be.above(0);
    for (const l of spikes) {
      const m = / fault spike (\S+)>(\S+) ([\d.]+) #\d+$/.exec(l);
      expect(m, l).to.not.equal(null);
      expect(Number(m![3])).to.be.within(1, 2);
    }
    // Every line still comes back, in order: a spike delays, it does not lose.
    a.got.forEach((g, i) => expect(g).to.deep.equal(Array.from({ length: 20 }, (_, k) => `line ${k} of client ${i}`)));
  });

  it("chunkSize: splits writes into chunks of sizes drawn from [min, max]", async () => {
    const a = await echoRun(4, { chunkSize: [1, 3] }, 2, 5);
    const sizes = a.trace.map((l) => / deliver \S+ (\d+) bytes$/.exec(l)).filter((m) => m !== null).map((m) => Number(m[1]));
    expect(sizes.length).to.be.above(40);
    expect(sizes.every((n) => n >= 1 && n <= 3)).to.equal(true);
    expect(new Set(sizes).size).to.equal(3);
    expect(a.trace.some((l) => / fault split 10\.1\.0\.0:\d+>10\.0\.0\.1:7 19 bytes in \d+ chunks$/.test(l))).to.equal(true);
    a.got.forEach((g, i) => expect(g).to.deep.equal(Array.from({ length: 5 }, (_, k) => `line ${k} of client ${i}`)));
  });

  it("partition: cuts pairs of the hosts seen at random times and heals them after partitionLength", async () => {
    const a = await echoRun(5, { partition: 0.5, partitionLength: [0.5, 1] }, 4, 50, [0.05, 0.1]);
    const cuts = a.trace.filter((l) => / fault partition /.test(l));
    const heals = a.trace.filter((l) => / fault heal /.test(l));
    expect(cuts.length).to.be.above(1);
    expect(heals.length).to.be.at.least(cuts.length - 1);
    // Pairs come from the hosts seen: the server and the clients' hosts.
    for (const l of cuts) expect(/ fault partition (10\.\S+) (10\.\S+) #\d+$/.test(l), l).to.equal(true);
    // Held data goes on after the heal: nothing is lost.
    a.got.forEach((g, i) => expect(g).to.deep.equal(Array.from({ length: 50 }, (_, k) => `line ${k} of client ${i}`)));
    expect((await echoRun(5, { partition: 0.5, partitionLength: [0.5, 1] }, 4, 50, [0.05, 0.1])).trace).to.deep.equal(a.trace);
  });

  it("partition: starts no new one after `until`", async () => {
    const a = await echoRun(5, { partition: 2, partitionLength: 0.1, until: 1 }, 4, 50, [0.05, 0.1]);
    const times = faultLines(a.trace).filter((l) => / fault partition /.test(l)).map((l) => Number(l.split(" ")[0]));
    expect(times.length).to.be.above(0);
    expect(Math.max(...times)).to.be.at.most(1);
  });

  it("loss: loses datagrams", async () => {
    const a = await udpRun(6, { loss: 0.2 });
    const lost = a.trace.filter((l) => / fault loss udp 10\.0\.0\.2:\d+>10\.0\.0\.1:9 \d+ bytes #\d+$/.test(l));
    expect(lost.length).to.be.within(5, 40);
    expect(a.got.length).to.equal(100 - lost.length);
    expect(a.got).to.deep.equal([...a.got].sort((x, y) => x - y));
  });

  it("duplicate: delivers some datagrams twice", async () => {
    const a = await udpRun(7, { duplicate: 0.2 });
    const dups = a.trace.filter((l) => / fault duplicate udp /.test(l));
    expect(dups.length).to.be.within(5, 40);
    expect(a.got.length).to.equal(100 + dups.length);
    expect(new Set(a.got).size).to.equal(100);
  });

  it("reorder: holds some datagrams back so that later ones overtake them", async () => {
    const a = await udpRun(8, { reorder: 0.2, reorderDelay: [0.02, 0.05] });
    expect(a.trace.filter((l) => / fault reorder udp /.test(l)).length).to.be.above(5);
    expect(a.got.length).to.equal(100);
    expect(a.got).to.not.deep.equal([...a.got].sort((x, y) => x - y));
    expect([...a.got].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 100 }, (_, k) => k));
  });

  it("per pair: a pair's rates replace the network's between those two hosts only", async () => {
    const a = await udpRun(9, { loss: 0 }, 20, { loss: 1 });
    expect(a.got).to.deep.equal([]);
    const b = await udpRun(9, { loss: 1 }, 20, { loss: 0 });
    expect(b.got).to.have.length(20);
    // TCP: resets between client 1's host and the server only, spikes for client 2 only.
    const c = await echoRun(10, undefined, 3, 30, [0.001, 0.02], (net) => {
      net.setFaults({ reset: 0.2 }, "10.1.0.1", "10.0.0.1");
      net.setFaults({ spike: 0.2 }, "10.0.0.1", "10.1.0.2");
      net.setFaults({ spikeLatency: 0.5 }, "10.1.0.2", "10.0.0.1"); // the same pair: both apply
    });
    expect(c.got[1]![c.got[1]!.length - 1]).to.equal("error closed");
    expect(c.got[0]).to.have.length(30);
    expect(c.got[2]).to.have.length(30);
    const f = faultLines(c.trace);
    expect(f.some((l) => / fault reset 10\.(1\.0\.1:\d+>10\.0\.0\.1:7|0\.0\.1:7>10\.1\.0\.1:\d+) #\d+$/.test(l))).to.equal(true);
    expect(f.some((l) => / fault spike 10\.(1\.0\.2>10\.0\.0\.1|0\.0\.1>10\.1\.0\.2) 0\.5 #\d+$/.test(l))).to.equal(true);
    expect(f.every((l) => / fault (reset \S*10\.1\.0\.1|spike \S*10\.1\.0\.2)/.test(l))).to.equal(true);
  });

  it("per pair: a pair's own partition rate cuts that pair only", async () => {
    const a = await echoRun(11, undefined, 3, 30, [0.05, 0.1], (net) => {
      net.setFaults({ partition: 1, partitionLength: 0.2 }, "10.1.0.2", "10.0.0.1");
    });
    const cuts = faultLines(a.trace).filter((l) => / fault partition /.test(l));
    expect(cuts.length).to.be.above(0);
    expect(cuts.every((l) => / fault partition 10\.0\.0\.1 10\.1\.0\.2 #\d+$/.test(l))).to.equal(true);
  });

  it("checks the rates", () => {
    const { net } = world(1, 0);
    expect(() => net.setFaults({ reset: 2 })).to.throw(TypeError, /setFaults: bad argument 'faults.reset' \(expected a probability from 0 to 1/);
    expect(() => net.setFaults({ partition: -1 })).to.throw(TypeError, /faults\.partition/);
    expect(() => net.setFaults({ chunkSize: [0, 3] })).to.throw(TypeError, /faults\.chunkSize/);
    expect(() => net.setFaults({ spikeLatency: [2, 1] })).to.throw(TypeError, /faults\.spikeLatency/);
    expect(() => net.setFaults({ skew: [-1, 1] })).to.not.throw();
    expect(() => net.setFaults({ bogus: 1 } as never)).to.throw(TypeError, /faults\.bogus.*not a fault option/);
    expect(() => net.setFaults({ crash: 1 }, "a", "b")).to.throw(TypeError, /network-wide only/);
    expect(() => net.setFaults({ reset: 0.1 }, "a", "a")).to.throw(TypeError, /setFaults: bad argument 'b'/);
    expect(() => new SimNetwork({ faults: { loss: "x" } as never })).to.throw(TypeError, /faults\.loss/);
  });
});
