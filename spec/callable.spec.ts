import { expect } from "chai";
import { Copas, socket } from "../lib/index.js";
import { makeCallable } from "../lib/callable.js";

describe("callable (the default export's front)", () => {
  it("is a function and a Copas: calling it runs loop()", async () => {
    const inner = new Copas();
    const copas = makeCallable(inner);
    expect(copas).to.be.a("function");
    expect(copas).to.be.an.instanceof(Copas);
    const seen: boolean[] = [];
    await copas(function* () {
      seen.push(copas.running, inner.running);
      yield* copas.pause(0);
    });
    expect(seen).to.deep.equal([true, true]);
    expect(copas.running).to.equal(false);
  });

  it("forwards methods, accessors and own fields to the dispatcher behind it", async () => {
    const inner = new Copas();
    const copas = makeCallable(inner);
    expect(copas.socket).to.equal(inner.socket);
    // The exported `socket` is the default layer's front: it forwards to the real one.
    expect(socket._network).to.equal(copas.socket._network);
    copas.autoclose = false;
    expect(inner.autoclose).to.equal(false);
    const t = copas.addthread(function* () {});
    expect(inner.status().active).to.equal(1);
    expect(copas.getthreadname(t)).to.equal(inner.getthreadname(t));
    await copas.loop();
    expect(inner.finished()).to.equal(true);
  });

  it("throws the dispatcher's own TypeErrors", () => {
    const copas = makeCallable(new Copas());
    expect(() => copas.addthread(42 as never)).to.throw(TypeError, /fn/);
  });
});
