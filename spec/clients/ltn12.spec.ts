import { expect } from "chai";
import { Copas, ltn12, type Sink, type Source } from "copas";

describe("ltn12", () => {
  it("is the same object on every dispatcher", () => {
    expect(new Copas().ltn12).to.equal(ltn12);
    expect(new Copas().ltn12).to.equal(new Copas().ltn12);
  });

  describe("source", () => {
    it("string gives the text in BLOCKSIZE chunks, then null", () => {
      const s = "x".repeat(ltn12.BLOCKSIZE * 2 + 5);
      const src = ltn12.source.string(s);
      expect(src()).to.have.length(ltn12.BLOCKSIZE);
      expect(src()).to.have.length(ltn12.BLOCKSIZE);
      expect(src()).to.equal("xxxxx");
      expect(src()).to.equal(null);
      expect(src()).to.equal(null);
    });

    it("string of '' or nothing is empty; bytes are read as latin1", () => {
      expect(ltn12.source.string("")()).to.equal(null);
      expect(ltn12.source.string(null)()).to.equal(null);
      expect(ltn12.source.string()()).to.equal(null);
      expect(ltn12.source.string(Uint8Array.from([0, 0xff, 65]))()).to.equal("\x00\xffA");
    });

    it("empty gives null", () => {
      expect(ltn12.source.empty()()).to.equal(null);
    });
  });

  describe("sink", () => {
    it("table pushes chunks onto the array given (or a new one) and returns 1", () => {
      const mine: string[] = ["a"];
      const [sink, t] = ltn12.sink.table(mine);
      expect(t).to.equal(mine);
      expect(sink("b")).to.equal(1);
      expect(sink(null)).to.equal(1);
      expect(mine).to.deep.equal(["a", "b"]);
      const [sink2, t2] = ltn12.sink.table();
      sink2("z");
      expect(t2).to.deep.equal(["z"]);
    });

    it("null takes everything", () => {
      const s = ltn12.sink.null();
      expect(s("x")).to.equal(1);
      expect(s(null)).to.equal(1);
    });
  });

  describe("pump", () => {
    it("step moves one chunk; at the end it gives [null, null]", () => {
      const [sink, t] = ltn12.sink.table();
      const src = ltn12.source.string("abc");
      expect(ltn12.pump.step(src, sink)).to.deep.equal([1, null]);
      expect(ltn12.pump.step(src, sink)).to.deep.equal([null, null]);
      expect(t).to.deep.equal(["abc"]);
    });

    it("all moves everything: [1, null]", () => {
      const s = "0123456789".repeat(1000);
      const [sink, t] = ltn12.sink.table();
      expect(ltn12.pump.all(ltn12.source.string(s), sink)).to.deep.equal([1, null]);
      expect(t.join("")).to.equal(s);
      expect(t.length).to.equal(Math.ceil(s.length / ltn12.BLOCKSIZE));
    });

    it("all reports a source's error, and tells the sink", () => {
      const seen: unknown[] = [];
      let n = 0;
      const src: Source = () => (n++ === 0 ? "one" : [null, "broken"]);
      const sink: Sink = (chunk, err) => {
        seen.push([chunk, err]);
        return 1;
      };
      expect(ltn12.pump.all(src, sink)).to.deep.equal([null, "broken"]);
      expect(seen).to.deep.equal([["one", null], [null, "broken"]]);
    });

    it("all reports a sink's error and stops pulling", () => {
      let pulled = 0;
      const src: Source = () => (pulled++, "x");
      const sink: Sink = () => (pulled >= 3 ? [null, "full"] : 1);
      expect(ltn12.pump.all(src, sink)).to.deep.equal([null, "full"]);
      expect(pulled).to.equal(3);
    });

    it("all stops without error when a sink returns a falsy value (as Lua's nil)", () => {
      let pulled = 0;
      const src: Source = () => (pulled++, "x");
      expect(ltn12.pump.all(src, () => (pulled < 2 ? 1 : false))).to.deep.equal([1, null]);
      expect(pulled).to.equal(2);
    });

    it("a source or sink that throws fails the pump with its exception", () => {
      const boom = () => {
        throw new Error("boom");
      };
      expect(() => ltn12.pump.all(boom, ltn12.sink.null())).to.throw("boom");
      expect(() => ltn12.pump.all(ltn12.source.string("a"), boom)).to.throw("boom");
    });

    it("all takes a custom step function", () => {
      let steps = 0;
      const [sink, t] = ltn12.sink.table();
      const r = ltn12.pump.all(ltn12.source.string("ab"), sink, (src, snk) => {
        steps++;
        return ltn12.pump.step(src, snk);
      });
      expect(r).to.deep.equal([1, null]);
      expect(steps).to.equal(2);
      expect(t).to.deep.equal(["ab"]);
    });
  });

  it("bad arguments are TypeErrors naming the argument", () => {
    expect(() => ltn12.source.string(5 as never)).to.throw(TypeError, /ltn12\.source\.string: bad argument 's'/);
    expect(() => ltn12.sink.table("x" as never)).to.throw(TypeError, /ltn12\.sink\.table: bad argument 't'/);
    expect(() => ltn12.pump.all(null as never, ltn12.sink.null())).to.throw(TypeError, /ltn12\.pump\.all: bad argument 'src'/);
    expect(() => ltn12.pump.step(ltn12.source.empty(), 1 as never)).to.throw(TypeError, /ltn12\.pump\.step: bad argument 'snk'/);
  });
});
