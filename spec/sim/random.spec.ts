import { expect } from "chai";
import sinon from "sinon";
import { Copas } from "copas";
import { ManualClock, SimNetwork } from "copas/sim";

const simCopas = (seed: number) => new Copas({ network: new SimNetwork({ clock: new ManualClock(), seed }) });

describe("sim/random: copas.random()", () => {
  it("is seeded by the network's seed on a simulated network", () => {
    const draw = (d: Copas) => [d.random(), d.random(), d.random(100), d.random(-5, 5)];
    const a = draw(simCopas(1));
    expect(draw(simCopas(1))).to.deep.equal(a);
    expect(draw(simCopas(2))).to.not.deep.equal(a);
  });

  it("has Lua's math.random forms: [0, 1), [1, m], [m, n]", () => {
    const d = simCopas(3);
    const xs = Array.from({ length: 600 }, () => d.random());
    const ks = Array.from({ length: 600 }, () => d.random(6));
    const js = Array.from({ length: 600 }, () => d.random(-2, 2));
    expect(xs.every((x) => x >= 0 && x < 1)).to.equal(true);
    expect([...new Set(ks)].sort()).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect([...new Set(js)].sort()).to.deep.equal([-1, -2, 0, 1, 2]);
    expect(d.random(7, 7)).to.equal(7);
    expect(() => d.random(0)).to.throw(RangeError, /random: bad argument 'm' \(interval is empty\)/);
    expect(() => d.random(5, 1)).to.throw(RangeError, /bad argument 'n' \(interval is empty\)/);
    expect(() => d.random(1.5)).to.throw(TypeError, /random: bad argument 'm' \(expected an integer/);
  });

  it("does not move the network's own draws: handler randomness leaves latencies as they were", async () => {
    const run = async (draws: number) => {
      const clock = new ManualClock();
      clock.autoAdvance = true;
      const net = new SimNetwork({ clock, seed: 4, latency: [0.001, 0.1] });
      const d = new Copas({ network: net, trace: true });
      const [server] = await net.socket.bind("s", 1);
      d.addserver(server!, function* (skt) {
        for (let i = 0; i < draws; i++) d.random();
        yield* d.send(skt, "x\n");
      });
      d.addthread(function* () {
        const c = d.wrap(net.socket.tcp());
        yield* c.connect("s", 1);
        yield* c.receive();
        c.close();
        d.removeserver(server!);
      });
      await d.loop();
      return d.gettrace();
    };
    expect(await run(1000)).to.deep.equal(await run(0));
  });

  it("is real entropy off the simulator, without Math.random", () => {
    const stub = sinon.stub(Math, "random").throws(new Error("Math.random used"));
    try {
      const d = new Copas();
      const xs = Array.from({ length: 300 }, () => d.random());
      expect(xs.every((x) => x >= 0 && x < 1)).to.equal(true);
      expect(new Set(xs).size).to.equal(300);
      expect(d.random(1, 6)).to.be.within(1, 6);
    } finally {
      stub.restore();
    }
  });
});
