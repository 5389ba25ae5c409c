// ByteQueue (lib/patterns.ts): the slot reuse and compaction of its chunk array.
import { expect } from "chai";
import { ByteQueue } from "../../lib/socket/patterns.js";

const b = (s: string) => Buffer.from(s, "latin1");

describe("ByteQueue", () => {
  it("gives bytes back in order across chunks, and is reusable once drained", () => {
    const q = new ByteQueue();
    for (let round = 0; round < 3; round++) {
      q.push(b("ab"));
      q.push(b("cde"));
      q.push(b("f\n"));
      expect(q.length).to.equal(7);
      expect(q.indexOf(10)).to.equal(6);
      expect(q.take(1).toString("latin1")).to.equal("a");
      expect(q.take(4).toString("latin1")).to.equal("bcde");
      expect(q.takeAll().toString("latin1")).to.equal("f\n");
      expect(q.length).to.equal(0);
      expect(q.indexOf(10)).to.equal(-1);
    }
  });

  it("keeps order when chunks arrive while others are half read", () => {
    const q = new ByteQueue();
    let expected = "";
    let got = "";
    for (let i = 0; i < 200; i++) {
      const s = `${i},`;
      q.push(b(s));
      expected += s;
      if (i % 3 === 2) got += q.take(Math.min(q.length, 5)).toString("latin1");
    }
    got += q.takeAll().toString("latin1");
    expect(got).to.equal(expected);
  });

  it("compacts a long queue read from the front without losing bytes", () => {
    const q = new ByteQueue();
    for (let i = 0; i < 100; i++) q.push(b(String.fromCharCode(33 + (i % 90))));
    let out = "";
    for (let i = 0; i < 70; i++) out += q.take(1).toString("latin1");
    for (let i = 100; i < 150; i++) q.push(b(String.fromCharCode(33 + (i % 90))));
    expect(q.length).to.equal(80);
    out += q.takeAll().toString("latin1");
    let want = "";
    for (let i = 0; i < 150; i++) want += String.fromCharCode(33 + (i % 90));
    expect(out).to.equal(want);
  });

  it("clear() drops everything", () => {
    const q = new ByteQueue();
    q.push(b("xyz"));
    q.clear();
    expect(q.length).to.equal(0);
    q.push(b("1\n"));
    expect(q.indexOf(10)).to.equal(1);
  });
});
