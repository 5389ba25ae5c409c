import { expect } from "chai";
import { ByteQueue, join, P_ALL, P_LINE, parsePattern, prefixBytes, receiveFrom, toBytes } from "../../lib/socket/patterns.js";

const b = (s: string) => Buffer.from(s, "latin1");

/** A queue holding `parts`, one chunk each. */
function queue(...parts: string[]): ByteQueue {
  const q = new ByteQueue();
  for (const p of parts) q.push(b(p));
  return q;
}

describe("patterns", () => {
  describe("ByteQueue", () => {
    it("takes bytes across chunk boundaries, in order", () => {
      const q = queue("ab", "", "cde", "f");
      expect(q.length).to.equal(6);
      expect(q.take(1).toString("latin1")).to.equal("a");
      expect(q.take(3).toString("latin1")).to.equal("bcd");
      expect(q.take(0).length).to.equal(0);
      expect(q.takeAll().toString("latin1")).to.equal("ef");
      expect(q.length).to.equal(0);
    });

    it("finds a byte across chunks, counted from the read position", () => {
      const q = queue("abc", "de\nf", "\n");
      expect(q.indexOf(10)).to.equal(5);
      q.take(4);
      expect(q.indexOf(10)).to.equal(1);
      expect(q.indexOf(0x7a)).to.equal(-1);
      q.take(2);
      expect(q.indexOf(10)).to.equal(1);
    });

    it("stays correct over many small chunks (front compaction)", () => {
      const q = new ByteQueue();
      let expected = "";
      for (let i = 0; i < 500; i++) {
        const c = String.fromCharCode(65 + (i % 26));
        q.push(b(c));
        expected += c;
      }
      let got = "";
      for (let i = 0; i < 100; i++) got += q.take(3).toString("latin1");
      got += q.takeAll().toString("latin1");
      expect(got).to.equal(expected);
    });

    it("clear drops everything", () => {
      const q = queue("abc", "def");
      q.clear();
      expect(q.length).to.equal(0);
      expect(q.indexOf(97)).to.equal(-1);
      q.push(b("x"));
      expect(q.takeAll().toString()).to.equal("x");
    });
  });

  describe("parsePattern", () => {
    it("knows lines, all, and byte counts", () => {
      for (const p of [undefined, null, "*l", "l"]) expect(parsePattern("f", p)).to.equal(P_LINE);
      for (const p of ["*a", "a"]) expect(parsePattern("f", p)).to.equal(P_ALL);
      expect(parsePattern("f", 0)).to.equal(0);
      expect(parsePattern("f", 7.9)).to.equal(7);
    });

    it("throws a TypeError naming the pattern and the function", () => {
      for (const p of ["*x", "", -1, NaN, true, {}]) {
        expect(() => parsePattern("receive", p)).to.throw(TypeError, /^receive: bad argument 'pattern'/);
      }
    });
  });

  describe("receiveFrom", () => {
    it('"*l": a line without "\\n" and without any "\\r"', () => {
      const q = queue("a\rb\r", "\nrest");
      expect(receiveFrom(q, P_LINE, null, null, "latin1")).to.deep.equal(["ab", null, null]);
      expect(receiveFrom(q, P_LINE, null, null, "latin1")).to.deep.equal([null, "timeout", "rest"]);
      expect(q.length).to.equal(0); // the partial result was consumed
      q.push(b("\n"));
      expect(receiveFrom(q, P_LINE, "rest", null, "latin1")).to.deep.equal(["rest", null, null]);
    });

    it('"*l" on a closed stream: the error and the partial line', () => {
      expect(receiveFrom(queue("abc"), P_LINE, "x", "closed", "latin1")).to.deep.equal([null, "closed", "xabc"]);
      expect(receiveFrom(queue(), P_LINE, null, "closed", "latin1")).to.deep.equal([null, "closed", ""]);
    });

    it('"*a": "timeout" with everything while open; the data, or "closed" with the prefix, once closed', () => {
      expect(receiveFrom(queue("ab", "c"), P_ALL, null, null, "latin1")).to.deep.equal([null, "timeout", "abc"]);
      expect(receiveFrom(queue("ab"), P_ALL, "p", "closed", "latin1")).to.deep.equal(["pab", null, null]);
      expect(receiveFrom(queue(), P_ALL, "p", "closed", "latin1")).to.deep.equal([null, "closed", "p"]);
    });

    it("a byte count includes the prefix (LuaSocket's rule)", () => {
      const q = queue("cdefgh");
      expect(receiveFrom(q, 5, "ab", null, "latin1")).to.deep.equal(["abcde", null, null]);
      expect(receiveFrom(q, 1, "xyz", null, "latin1")).to.deep.equal(["xyz", null, null]);
      expect(receiveFrom(q, 4, null, null, "latin1")).to.deep.equal([null, "timeout", "fgh"]);
      expect(receiveFrom(q, 0, null, null, "latin1")).to.deep.equal([null, "timeout", ""]); // reads first, as LuaSocket
      expect(receiveFrom(queue("ab"), 4, null, "closed", "latin1")).to.deep.equal([null, "closed", "ab"]);
    });

    it("counts bytes, not characters, with a utf8 prefix", () => {
      // "é" is 2 bytes in UTF-8: 4 bytes wanted, 2 in the prefix, 2 more read.
      expect(prefixBytes("é", "utf8")).to.equal(2);
      expect(prefixBytes("é", "latin1")).to.equal(1);
      expect(prefixBytes(new Uint8Array(3), "utf8")).to.equal(3);
      expect(receiveFrom(queue("abcd"), 4, "é", null, "utf8")).to.deep.equal(["éab", null, null]);
    });

    it("utf8: a partial result leaves an incomplete character queued, not ready until more comes", () => {
      const euro = Buffer.from("€", "utf8"); // e2 82 ac
      const q = new ByteQueue();
      q.push(Buffer.concat([Buffer.from("a"), euro.subarray(0, 2)]));
      const r1 = receiveFrom(q, P_LINE, null, null, "utf8");
      expect(r1).to.deep.equal([null, "timeout", "a"]);
      expect([q.length, q.held, q.ready]).to.deep.equal([2, 2, false]);
      q.push(Buffer.concat([euro.subarray(2), Buffer.from("\n")]));
      expect(q.ready).to.equal(true);
      expect(receiveFrom(q, P_LINE, r1[2], null, "utf8")).to.deep.equal(["a€", null, null]);
      // Byte counts and "*a" too; a 4-byte character arriving byte by byte.
      const smile = Buffer.from("😀", "utf8");
      const q2 = new ByteQueue();
      let part: string | null = "";
      for (let i = 0; i < 3; i++) {
        q2.push(smile.subarray(i, i + 1));
        const r = receiveFrom(q2, 5, part, null, "utf8");
        expect(r[1]).to.equal("timeout");
        part = r[2] as string;
        expect(q2.ready).to.equal(false);
      }
      q2.push(Buffer.concat([smile.subarray(3), Buffer.from("\x04z", "latin1")]));
      expect(receiveFrom(q2, 5, part, null, "utf8")).to.deep.equal(["😀\x04", null, null]);
      const q3 = new ByteQueue();
      q3.push(euro.subarray(0, 1));
      expect(receiveFrom(q3, P_ALL, null, null, "utf8")).to.deep.equal([null, "timeout", ""]);
      expect(receiveFrom(q3, P_ALL, null, "closed", "utf8")[0]).to.equal("\ufffd"); // closed: all of it
    });

    it("latin1 and buffer partial results take every byte", () => {
      const q = queue("a\xe2\x82");
      expect(receiveFrom(q, P_LINE, null, null, "latin1")).to.deep.equal([null, "timeout", "a\xe2\x82"]);
      expect([q.length, q.ready]).to.deep.equal([0, false]);
    });

    it("gives Buffers with the buffer encoding, prefix (string or bytes) in front", () => {
      const [d] = receiveFrom(queue("\x00\xff\n"), P_LINE, new Uint8Array([1]), null, "buffer");
      expect(Buffer.compare(d as Buffer, Buffer.from([1, 0, 255]))).to.equal(0);
      const [d2] = receiveFrom(queue("z"), 1, "\xfe", null, "buffer");
      expect(Buffer.compare(d2 as Buffer, Buffer.from([0xfe]))).to.equal(0);
    });
  });

  describe("join and toBytes", () => {
    it("decode received bytes by encoding", () => {
      expect(join(null, b("\xe9"), "latin1")).to.equal("é");
      expect(join("<", Buffer.from("é", "utf8"), "utf8")).to.equal("<é");
      expect(join(new Uint8Array([0x41]), b("B"), "latin1")).to.equal("AB");
      const r = join(null, b("x"), "buffer");
      expect(Buffer.isBuffer(r)).to.equal(true);
    });

    it("encode data to send: latin1 strings byte per char, utf8 strings as UTF-8, bytes as they are", () => {
      expect([...toBytes("\xff", "latin1")]).to.deep.equal([255]);
      expect([...toBytes("\xff", "buffer")]).to.deep.equal([255]);
      expect([...toBytes("é", "utf8")]).to.deep.equal([0xc3, 0xa9]);
      const u = new Uint8Array([9, 8, 7]).subarray(1);
      expect([...toBytes(u, "latin1")]).to.deep.equal([8, 7]);
    });
  });
});
