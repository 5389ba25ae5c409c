import { expect } from "chai";
import { Rng } from "copas/sim";

describe("sim/rng", () => {
  const draw = (seed: number, n = 8) => {
    const r = new Rng(seed);
    return Array.from({ length: n }, () => r.uint32());
  };

  it("gives the same sequence for the same seed", () => {
    expect(draw(42)).to.deep.equal(draw(42));
    expect(draw(0)).to.deep.equal(draw(0));
  });

  it("gives unrelated sequences for nearby seeds", () => {
    expect(draw(1)).to.not.deep.equal(draw(2));
    expect(draw(0)).to.not.deep.equal(draw(1));
    expect(draw(0.5)).to.not.deep.equal(draw(0));
  });

  it("keeps next, range and int within bounds", () => {
    const r = new Rng(7);
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < 2000; i++) {
      const x = r.next();
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      const y = r.range(2, 3);
      expect(y).to.be.at.least(2).and.at.most(3);
      const k = r.int(6);
      expect(Number.isInteger(k) && k >= 0 && k < 6).to.equal(true);
    }
    expect(lo).to.be.at.least(0).and.below(0.01);
    expect(hi).to.be.below(1).and.above(0.99);
    expect(r.range(5, 5)).to.equal(5);
  });

  it("rejects a seed that is not a finite number", () => {
    expect(() => new Rng(NaN)).to.throw(TypeError, /Rng: bad argument 'seed'/);
    expect(() => new Rng(Infinity)).to.throw(TypeError, /finite number/);
    expect(() => new Rng("1" as unknown as number)).to.throw(TypeError, /a number/);
  });
});
