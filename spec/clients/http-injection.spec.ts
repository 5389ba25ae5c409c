// Request splitting (issue 10, item 2): CR, LF or NUL in any part of a request that goes onto
// the request line or a header line is a TypeError naming the parameter, at the call.

import { expect } from "chai";
import { Copas } from "copas";

const BAD = ["a\r\nInjected: yes", "a\nInjected: yes", "a\rInjected: yes", "a\0b"];

describe("http: request splitting", () => {
  const c = new Copas();

  for (const key of ["path", "query", "params", "authority", "host", "scheme", "user", "password", "uri", "method", "proxy", "fragment"]) {
    it(`params.${key} with CR, LF or NUL is a TypeError naming it`, () => {
      for (const bad of BAD) {
        expect(() => c.http.request({ url: "http://x/", [key]: bad } as never), JSON.stringify(bad)).to.throw(
          TypeError,
          new RegExp(`http\\.request: bad argument 'params\\.${key}' \\(expected a string without CR, LF or NUL`),
        );
      }
    });
  }

  it("params.url with CR, LF or NUL is a TypeError (LuaSocket would drop the whitespace silently)", () => {
    for (const bad of ["http://x/a\r\nInjected: yes", "http://x/\0", "http://x\r\n/"]) {
      expect(() => c.http.request({ url: bad })).to.throw(TypeError, /bad argument 'params\.url'/);
      expect(() => c.http.request(bad)).to.throw(TypeError, /http\.request: bad argument 'url'/);
    }
  });

  it("params.port must be a port number (or its digits)", () => {
    for (const bad of ["80\r\nInjected: yes", -1, 65536, 1.5, NaN, Infinity, "x", {}]) {
      expect(() => c.http.request({ url: "http://x/", port: bad } as never), JSON.stringify(bad)).to.throw(TypeError, /bad argument 'params\.port'/);
    }
    expect(() => c.http.request({ url: "http://x/", port: "8080" })).to.not.throw();
  });

  it("header names and values: CR, LF, NUL (and ':' or an empty name) are TypeErrors naming the header", () => {
    for (const [k, v] of [
      ["x-a", "1\r\nInjected: yes"],
      ["x-a", "1\0"],
      ["x-a\r\nInjected", "1"],
      ["x-a\0", "1"],
      ["x:a", "1"],
      ["", "1"],
    ] as const) {
      expect(() => c.http.request({ url: "http://x/", headers: { [k]: v } }), JSON.stringify([k, v])).to.throw(TypeError, /bad argument 'params\.headers\[/);
    }
    expect(() => c.http.request({ url: "http://x/", headers: { "x-a": {} as never } })).to.throw(TypeError, /params\.headers\["x-a"\]/);
  });

  it("http.USERAGENT holding CR or LF is a TypeError at the call", () => {
    const d = new Copas();
    d.http.USERAGENT = "me\r\nInjected: yes";
    expect(() => d.http.request("http://x/")).to.throw(TypeError, /bad argument 'http\.USERAGENT'/);
    expect(() => d.http.request({ url: "http://x/" })).to.throw(TypeError, /bad argument 'http\.USERAGENT'/);
  });

  it("a url without CR/LF/NUL and plain headers are still accepted", () => {
    expect(() => c.http.request({ url: "http://x/a b?q=1;x", headers: { "x-n": 5, "x-s": "a b\tc" } })).to.not.throw();
  });
});
