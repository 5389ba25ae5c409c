// The real network reads into one reused buffer (net.Socket's `onread`) instead of a Buffer
// per 'data' event: what a reader takes during the read is decoded in place, and what is left
// must be copied before the buffer is reused. These tests read in ways that would show the
// next read's bytes if anything still pointed into the reused buffer.
import net from "node:net";
import { expect } from "chai";
import { Copas, type TcpSocket } from "copas";
import { rawPair, received } from "../helpers/net.js";

/** Writes `data` from the raw end and resolves once `skt` has `total` bytes in all. */
async function put(raw: net.Socket, skt: TcpSocket, data: string, total: number): Promise<void> {
  raw.write(data, "latin1");
  await received(skt, total);
}

describe("real network: reads into a reused buffer", () => {
  let copas: Copas;
  const open: { close(): unknown }[] = [];

  beforeEach(() => {
    copas = new Copas();
  });

  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    copas.cancelall();
  });

  async function rawAndAccepted(): Promise<[net.Socket, TcpSocket]> {
    const [raw, skt] = await rawPair(copas);
    open.push({ close: () => raw.destroy() }, skt);
    return [raw, skt];
  }

  it("an accepted socket takes no 'data' events: its reads go straight to the socket", async () => {
    const [raw, skt] = await rawAndAccepted();
    expect((skt._stream as unknown as net.Socket).listenerCount("data")).to.equal(0);
    await put(raw, skt, "hello\n", 6);
    expect(skt.receive()).to.deep.equal(["hello", null, null]);
  });

  it("keeps bytes no reader took yet, across later reads into the same buffer", async () => {
    const [raw, skt] = await rawAndAccepted();
    await put(raw, skt, "one\ntw", 6);
    await put(raw, skt, "o\nthree\n", 14);
    await put(raw, skt, "XXXXXXXXXXXXXXXXXXXX", 34);
    expect(skt.receive()).to.deep.equal(["one", null, null]);
    expect(skt.receive()).to.deep.equal(["two", null, null]);
    expect(skt.receive()).to.deep.equal(["three", null, null]);
    expect(skt.receive(20)).to.deep.equal(["X".repeat(20), null, null]);
  });

  it("a Buffer received during a read is the reader's own: the next read does not change it", async () => {
    const [raw, skt] = await rawAndAccepted();
    skt.setencoding("buffer");
    const got: Buffer[] = [];
    copas.addthread(function* () {
      for (let i = 0; i < 3; i++) {
        const [b] = yield* copas.receive(skt, 4);
        got.push(b as unknown as Buffer);
      }
    });
    const loop = copas.loop();
    // One write per read: each is read (and taken by the waiting thread) on its own.
    for (const [chunk, total] of [["abcd", 4], ["wxyz", 8], ["1234", 12]] as const) await put(raw, skt, chunk, total);
    await loop;
    expect(got.map((b) => b.toString("latin1"))).to.deep.equal(["abcd", "wxyz", "1234"]);
  });

  it("serves lines split across reads and many lines in one read, in order, to a waiting reader", async () => {
    const [raw, skt] = await rawAndAccepted();
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${"x".repeat(i % 37)}`);
    const got: string[] = [];
    copas.addthread(function* () {
      for (;;) {
        const [l] = yield* copas.receive(skt);
        if (l === null) return;
        got.push(l);
      }
    });
    const loop = copas.loop();
    const text = lines.map((l) => l + "\n").join("");
    // Uneven writes: a line may end in the next read, a read may hold several lines.
    let sent = 0;
    for (let size = 1; sent < text.length; size = (size * 7 + 3) % 97) {
      const part = text.slice(sent, sent + size + 1);
      sent += part.length;
      await put(raw, skt, part, sent);
    }
    raw.end();
    await loop;
    expect(got).to.deep.equal(lines);
  });
});
