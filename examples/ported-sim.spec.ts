// Running a ported program unchanged on a simulated world. examples/echo-server.ts and
// examples/chat-server.ts are written as a Lua port is: against the default `copas` and
// `socket` of "copas", with top-level code that binds, adds a server and runs `copas.loop()`.
// `simulate(net, fn)` from "copas/testing" points those defaults at a dispatcher on a
// SimNetwork while `fn` runs (and back afterwards, even if it throws): the test adds its client
// threads to that dispatcher and imports the program, whose `copas.loop()` then runs the whole
// world on virtual time. The work is in examples/ported-sim-world.ts (an ES module, see why
// there). Run it with `npx mocha examples/ported-sim.spec.ts`.
import { expect } from "chai";

const load = () => import("./ported-sim-world.js");

describe("example: a ported program runs unchanged on a simulated world", () => {
  it("echo-server.ts: three clients on other hosts, one byte per delivery", async () => {
    const w = await load();
    const hosts = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];
    const r = await w.echoRun(1, hosts, ["hello", "second line"], 1);
    for (const h of hosts) expect(r.got[h]).to.deep.equal([`hello from ${h}`, `second line from ${h}`, "closed"]);
    expect(r.printed[0]).to.equal("echo server listening on 127.0.0.1:20000");
    expect(r.printed[r.printed.length - 1]).to.equal("echo server: done");
    expect(r.trace).to.include("0 listen 127.0.0.1:20000");
    expect(r.trace.filter((l) => / deliver /.test(l)).every((l) => l.endsWith(" 1 bytes"))).to.equal(true);
    expect(r.time).to.be.above(0.1);
    // Afterwards the defaults are the real ones again.
    expect(w.defaultsKind()).to.deep.equal(["real", "real"]);
  });

  it("echo-server.ts: one seed gives one trace, run after run; another seed another", async () => {
    const w = await load();
    const once = async (seed: number) => (await w.echoRun(seed, ["10.0.0.1", "10.0.0.2"], ["a", "b", "c", "d"])).trace;
    const a = await once(5);
    expect(a.length).to.be.above(50);
    expect(await once(5)).to.deep.equal(a);
    expect(await once(6)).to.not.deep.equal(a);
  });

  it("chat-server.ts: lines go to the other users, nick changes are announced", async () => {
    const w = await load();
    const { heard, printed } = await w.chatRun(2, { alice: ["hi all"], bob: ["hello alice"], carol: [] });
    expect(heard.carol).to.include.members(["<alice> hi all", "<bob> hello alice"]);
    expect(heard.alice).to.include("<bob> hello alice").and.not.include("<alice> hi all");
    expect(heard.bob).to.include("<alice> hi all").and.not.include("<bob> hello alice");
    for (const name of ["alice", "bob", "carol"]) expect(heard[name]).to.include("* bye");
    expect(heard.carol!.some((l) => /^\* guest\d is now (alice|bob)$/.test(l))).to.equal(true);
    expect(printed[0]).to.equal("chat server listening on 127.0.0.1:20000");
    expect(w.defaultsKind()).to.deep.equal(["real", "real"]);
  });
});
