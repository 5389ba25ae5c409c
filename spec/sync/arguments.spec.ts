// Arguments the sync modules accepted silently (issue 10, item 9): each a TypeError naming the
// argument and what is accepted.

import { expect } from "chai";
import { Copas } from "copas";

describe("sync: bad arguments", () => {
  const copas = new Copas();

  it("semaphore.new(5, 10): start above max is a TypeError naming 'start'", () => {
    expect(() => copas.semaphore.new(5, 10)).to.throw(TypeError, /semaphore\.new: bad argument 'start' \(expected a number from 0 to max \(5\)/);
    expect(() => copas.semaphore.new(5, 5.5)).to.throw(TypeError, /'start'/);
    expect(copas.semaphore.new(5, 5).get_count()).to.deep.equal([5, null]);
  });

  it("semaphore.new: max NaN, a string, below 1 are TypeErrors; Infinity stays allowed (as Copas: no cap)", () => {
    for (const bad of [NaN, "3", 0, 0.5, -Infinity, null]) expect(() => copas.semaphore.new(bad as never), String(bad)).to.throw(TypeError, /'max'/);
    expect(() => copas.semaphore.new(Infinity)).to.not.throw();
  });
});
