// Arguments the clients accepted silently (issue 10, item 9): TypeErrors naming them.

import { expect } from "chai";
import { Copas } from "copas";

describe("clients: bad arguments", () => {
  const c = new Copas();

  it("http: maxredirects NaN (it meant no limit), negative or fractional is a TypeError", () => {
    for (const bad of [NaN, -1, 1.5, -Infinity]) {
      expect(() => c.http.request({ url: "http://x/", maxredirects: bad }), String(bad)).to.throw(TypeError, /'params\.maxredirects'/);
    }
    for (const ok of [0, 5, Infinity, false] as const) expect(() => c.http.request({ url: "http://x/", maxredirects: ok })).to.not.throw();
  });

  it("http: redirect must be a boolean or 'all'; headers an object (not an array)", () => {
    expect(() => c.http.request({ url: "http://x/", redirect: "yes" as never })).to.throw(TypeError, /'params\.redirect'/);
    expect(() => c.http.request({ url: "http://x/", headers: ["a"] as never })).to.throw(TypeError, /'params\.headers'/);
  });

  it("http: timeout values NaN are TypeErrors (negative: no timeout, as LuaSocket)", () => {
    expect(() => c.http.request({ url: "http://x/", timeout: NaN })).to.throw(TypeError, /'params\.timeout'/);
    expect(() => c.http.request({ url: "http://x/", timeout: { receive: NaN } })).to.throw(TypeError, /'params\.timeout\.receive'/);
    expect(() => c.http.request({ url: "http://x/", timeout: "1" as never })).to.throw(TypeError, /'params\.timeout'/);
  });

  it("ltn12.pump.all: a step that is not a function is a TypeError naming it", () => {
    expect(() => c.ltn12.pump.all(c.ltn12.source.empty(), c.ltn12.sink.null(), 5 as never)).to.throw(TypeError, /ltn12\.pump\.all: bad argument 'step'/);
  });
});
