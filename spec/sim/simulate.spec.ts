import { expect } from "chai";
import copas, { Copas, socket } from "copas";
import * as socketEntry from "copas/socket";
import { ManualClock, SimNetwork } from "copas/sim";
import { setDefaultWorld, simulate } from "copas/testing";

function net() {
  const clock = new ManualClock();
  clock.autoAdvance = true;
  return new SimNetwork({ clock, latency: 0.01 });
}

const kinds = () => [copas.socket._network.kind, socket._network.kind, socketEntry.default._network.kind];

describe("sim/simulate: the defaults pointed at a simulated world", () => {
  it("points the default copas and socket (of copas and copas/socket) at a dispatcher on the network", async () => {
    const n = net();
    const { bind } = socketEntry; // taken before: follows too
    const got = await simulate(n, async (d) => {
      expect(kinds()).to.deep.equal(["sim", "sim", "sim"]);
      expect(copas.socket).to.equal(n.socket);
      const [server] = await bind("db", 1);
      copas.addserver(server!, function* (skt) {
        yield* copas.send(skt, "hi\n");
      });
      const seen: unknown[] = [];
      copas.addthread(function* () {
        const c = copas.wrap(socket.tcp());
        yield* c.connect("db", 1);
        seen.push((yield* c.receive())[0], copas.gettime(), socket.gettime());
        c.close();
        copas.removeserver(server!);
      });
      await copas();
      expect(d.gettrace()).to.include("0 listen db:1");
      return seen;
    }, { trace: true });
    expect(got).to.deep.equal(["hi", 0.02, 0.02]);
    expect(kinds()).to.deep.equal(["real", "real", "real"]);
    expect(Math.abs(socket.gettime() - Date.now() / 1000)).to.be.below(5);
  });

  it("restores the real ones when the function throws or rejects", async () => {
    let err: unknown = null;
    try {
      await simulate(net(), () => {
        expect(kinds()).to.deep.equal(["sim", "sim", "sim"]);
        throw new Error("thrown");
      });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.equal("thrown");
    expect(kinds()).to.deep.equal(["real", "real", "real"]);
    err = null;
    await simulate(net(), async () => {
      await Promise.resolve();
      throw new Error("rejected");
    }).catch((e: unknown) => (err = e));
    expect((err as Error).message).to.equal("rejected");
    expect(kinds()).to.deep.equal(["real", "real", "real"]);
  });

  it("nests, and takes a Copas made on a network", async () => {
    const outer = new Copas({ network: net() });
    await simulate(outer, async (d) => {
      expect(d).to.equal(outer);
      await simulate(net(), (inner) => {
        expect(inner).to.not.equal(outer);
        expect(copas.socket).to.equal(inner.socket);
      });
      expect(copas.socket).to.equal(outer.socket);
    });
    expect(kinds()[0]).to.equal("real");
  });

  it("setDefaultWorld gives a restore function (once is enough)", () => {
    const restore = setDefaultWorld(net());
    expect(kinds()).to.deep.equal(["sim", "sim", "sim"]);
    restore();
    restore();
    expect(kinds()).to.deep.equal(["real", "real", "real"]);
    setDefaultWorld(null)();
    expect(kinds()).to.deep.equal(["real", "real", "real"]);
  });

  it("checks its arguments", async () => {
    expect(() => setDefaultWorld({} as never)).to.throw(TypeError, /setDefaultWorld: bad argument 'world'/);
    let err: unknown = null;
    await simulate(5 as never, () => {}).catch((e: unknown) => (err = e));
    expect(err).to.be.an.instanceof(TypeError);
    expect(kinds()[0]).to.equal("real");
  });
});
