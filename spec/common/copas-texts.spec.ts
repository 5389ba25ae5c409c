// Issue 9, item 12: where Copas asserts (or returns nil, msg) with a text, the port's TypeError
// names the argument and also contains Copas's own text, so code matching Copas's message still
// matches. The texts are Copas 4.11's (copas.lua, copas/*.lua); test/oracle checks them against it.

import { expect } from "chai";
import { Copas } from "copas";

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(TypeError);
    return (e as Error).message;
  }
  throw new Error("did not throw");
}

describe("TypeError texts contain Copas's own", () => {
  const c = new Copas();

  const cases: Array<[string, () => unknown, string]> = [
    ["seterrorhandler(42)", () => c.seterrorhandler(42 as never), "Expected the handler to be a function, or nil"],
    ["seterrorhandler(nil, true)", () => c.seterrorhandler(null, true), "Expected the handler to be a function when setting the default"],
    ["setthreadname(42)", () => c.setthreadname(42 as never), "expected arg #1 to be a string"],
    ["setthreadname('x', 42)", () => c.setthreadname("x", 42 as never), "expected arg #2 to be a coroutine or nil"],
    ["getthreadname(42)", () => c.getthreadname(42 as never), "expected arg #1 to be a coroutine or nil"],
    ["setsocketname(42, skt)", () => c.setsocketname(42 as never, c.socket.tcp()), "expected arg #1 to be a string"],
    ["setsocketname('x', nil)", () => c.setsocketname("x", null as never), "expected arg #2 to be a socket"],
    ["getsocketname(nil)", () => c.getsocketname(null as never), "expected arg #1 to be a socket"],
    ["settimeout(skt, 'x')", () => c.settimeout(c.socket.tcp(), "x" as never), "timeout must be 'nil' or a number"],
    ["settimeouts(skt, 'x')", () => c.settimeouts(c.socket.tcp(), "x" as never), "connect timeout must be 'nil' or a number"],
    ["settimeouts(skt, nil, 'x')", () => c.settimeouts(c.socket.tcp(), null, "x" as never), "send timeout must be 'nil' or a number"],
    ["settimeouts(skt, nil, nil, 'x')", () => c.settimeouts(c.socket.tcp(), null, null, "x" as never), "read timeout must be 'nil' or a number"],
    ["semaphore.new(0)", () => c.semaphore.new(0), "expected max resources (1st argument) to be a number greater than 0, got: 0"],
    ["semaphore.new('x')", () => c.semaphore.new("x" as never), "expected max resources (1st argument) to be a number greater than 0, got: x"],
    ["semaphore.new(3, 0, -1)", () => c.semaphore.new(3, 0, -1), "expected timeout (2nd argument) to be a number greater than or equal to 0, got: -1"],
    ["lock.new(-1.5)", () => c.lock.new(-1.5), "expected timeout (1st argument) to be a number greater than or equal to 0, got: -1.5"],
    ["timer.new{delay=-1}", () => c.timer.new({ delay: -1, callback: () => {} }), "delay must be greater than or equal to 0"],
    ["timer.new{initial_delay=-1}", () => c.timer.new({ delay: 1, initial_delay: -1, callback: () => {} }), "delay must be greater than or equal to 0"],
    ["timer.new{callback=42}", () => c.timer.new({ delay: 1, callback: 42 as never }), "expected callback to be a function"],
    ["queue:add_worker(42)", () => c.queue.new().add_worker(42 as never), "expected worker to be a function"],
    ["wrap(skt, 42)", () => c.wrap(c.socket.tcp(), 42), "ssl parameters; did not expect type 42"],
  ];

  for (const [what, f, text] of cases) {
    it(`${what}: "${text}"`, () => {
      const m = message(f);
      expect(m).to.include(text);
      expect(m).to.match(/bad argument '/); // and still names the argument
    });
  }

  it("timer:arm(-1): \"delay must be greater than or equal to 0\"", () => {
    const d = new Copas();
    const t = d.timer.new({ delay: 1, initial_delay: 1000, callback: () => {} });
    try {
      expect(message(() => t.arm(-1))).to.include("delay must be greater than or equal to 0");
    } finally {
      t.cancel();
    }
  });
});
