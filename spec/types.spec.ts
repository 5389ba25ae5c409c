// Type-level tests: checked by `tsc --noEmit` (npm test's typecheck), which fails on a wrong
// type below or on a `@ts-expect-error` line that is not an error. The generator bodies are
// never run; the mocha test only makes sure this file is part of the suite.

import { expect } from "chai";
import copas, { Copas, socket, type AnySocket, type CopasSocket, type Op, type OkResult, type ReceiveResult, type SendResult, type TcpSocket, type Thread, type UdpSocket } from "copas";
import { ManualClock, SimNetwork } from "copas/sim";

/** Compiles only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

function* typed(d: Copas, skt: TcpSocket, w: CopasSocket): Op<void> {
  // Results of ops, through yield*.
  const [line, err, partial] = yield* d.receive(skt);
  assertType<Equal<typeof line, string | null>>();
  assertType<Equal<typeof err, string | null>>();
  assertType<Equal<typeof partial, string | null>>();

  const r = yield* d.receive(skt, 10, "pre");
  assertType<Equal<typeof r, ReceiveResult<string>>>();
  if (r[0] !== null) {
    assertType<Equal<typeof r, [string, null, null]>>();
  } else {
    assertType<Equal<typeof r[1], string>>();
  }

  const s = yield* d.send(skt, "data", 1, -1);
  assertType<Equal<typeof s, SendResult>>();
  const c = yield* d.connect(skt, "127.0.0.1", 80);
  assertType<Equal<typeof c, OkResult>>();
  const slept = yield* d.pause(1);
  assertType<Equal<typeof slept, number>>();
  assertType<Equal<ReturnType<Copas["pause"]>, Op<number>>>();
  const forever = yield* d.pauseforever();
  assertType<Equal<typeof forever, number>>();
  const v = yield* d.await(Promise.resolve(42));
  assertType<Equal<typeof v, number>>();
  const plain = yield* d.await("x");
  assertType<Equal<typeof plain, string>>();
  yield* d.waitforexit();

  // Wrapped sockets.
  const [wl] = yield* w.receive();
  assertType<Equal<typeof wl, string | null>>();
  const ws = yield* w.send(new Uint8Array(2));
  assertType<Equal<typeof ws, SendResult>>();

  // Threads and the rest.
  const t = d.addthread((n: number, s2: string) => [n, s2], 1, "two");
  assertType<Equal<typeof t, Thread>>();
  assertType<Equal<ReturnType<Copas["status"]>["read"], number>>();
  assertType<Equal<ReturnType<Copas["loop"]>, Promise<void>>>();
  assertType<Equal<ReturnType<typeof copas>, Promise<void>>>();
  assertType<Equal<Awaited<ReturnType<typeof socket.bind>>, [TcpSocket, null] | [null, string]>>();

  // Misuse the types catch.
  // @ts-expect-error: not a pattern
  yield* d.receive(skt, "*x");
  // @ts-expect-error: pause takes seconds as a number
  yield* d.pause("1");
  // @ts-expect-error: pause gives a number
  const wrong: string = yield* d.pause();
  // @ts-expect-error: a thread is a function
  d.addthread(5);
  // @ts-expect-error: the thread function's arguments are checked
  d.addthread((n: number) => n, "not a number");
  // @ts-expect-error: data is a string or bytes
  yield* d.send(skt, 5);
  // @ts-expect-error: settimeout takes seconds as a number
  d.settimeout(skt, "1");
  // @ts-expect-error: a receive result is not a string
  const notString: string = yield* d.receive(skt);
  void wrong;
  void notString;
}

// Handlers: the socket parameter is inferred from the server, so it needs no annotation.
async function servers(d: Copas, tcp: TcpSocket, udp: UdpSocket, w: CopasSocket, any: AnySocket) {
  // The case of issue 11: an unannotated handler on the default dispatcher.
  copas.addserver(tcp, function* (skt) {
    skt.getpeername();
  });
  d.addserver(tcp, function* (skt) {
    assertType<Equal<typeof skt, TcpSocket>>();
    const [line] = yield* d.receive(skt);
    assertType<Equal<typeof line, string | null>>();
  });
  d.addserver(tcp, (skt) => skt.close()); // a plain function too
  d.addserver(udp, function* (skt) {
    assertType<Equal<typeof skt, UdpSocket>>();
    const [data, ip, port] = yield* d.receivefrom(skt);
    if (data !== null) skt.sendto(data, ip, port);
  });
  // handler(): the client arrives wrapped (and with sslparams, after the handshake).
  d.addserver(tcp, d.handler(function* (skt) {
    assertType<Equal<typeof skt, CopasSocket>>();
    const [line] = yield* skt.receive();
    if (line !== null) yield* skt.send(line + "\n");
  }));
  d.addserver(tcp, d.handler((skt) => skt.close(), { mode: "server", protocol: "any" }));
  // A wrapped server: a TCP client, or the wrapped UDP socket; a server of unknown kind: any socket.
  d.addserver(w, function* (skt) {
    assertType<Equal<typeof skt, TcpSocket | CopasSocket>>();
  });
  d.addserver(any, function* (skt) {
    assertType<Equal<typeof skt, AnySocket>>();
  });
  // A handler written for any socket fits every server.
  const general = function* (skt: AnySocket) {
    yield* d.receive(skt);
  };
  d.addserver(tcp, general);
  d.addserver(udp, general);
  // On the simulated network: the same classes.
  const net = new SimNetwork({ clock: new ManualClock() });
  const [server] = await net.socket.bind("10.0.0.1", 80);
  if (server !== null) {
    d.addserver(server, function* (skt) {
      assertType<Equal<typeof skt, TcpSocket>>();
      skt.getpeername();
    });
  }
  // @ts-expect-error: a TCP server's handler gets a TcpSocket, not a UdpSocket
  d.addserver(tcp, function* (skt: UdpSocket) {
    void skt;
  });
  // @ts-expect-error: a UDP server's handler gets the UdpSocket
  d.addserver(udp, function* (skt: TcpSocket) {
    void skt;
  });
  // @ts-expect-error: a raw TCP client is not a wrapped socket (use copas.handler or copas.wrap)
  d.addserver(tcp, function* (skt: CopasSocket) {
    void skt;
  });
  // wrap(): a wrapped socket whatever it wraps, and wrapping twice gives the same type.
  assertType<Equal<ReturnType<typeof d.wrap>, CopasSocket>>();
  assertType<Equal<typeof w, ReturnType<Copas["wrap"]>>>();
}

// The README's porting pitfalls, as the compiler sees them.
function* pitfalls(d: Copas, skt: TcpSocket): Op<void> {
  const [data, err] = yield* d.receive(skt);
  if (err) return;
  // @ts-expect-error: `if (err)` does not narrow (an empty string is falsy): data may be null
  data.length;
  if (err !== null) return;
  assertType<Equal<typeof data, string>>(); // `err !== null` does
  // Without yield*, the op is stepped by hand: no data, and the type says so.
  const [line] = d.receive(skt);
  assertType<Equal<typeof line, unknown>>();
}

describe("types", () => {
  it("are checked by tsc (this file compiles)", () => {
    expect(typed).to.be.a("function");
    expect(servers).to.be.a("function");
    expect(pitfalls).to.be.a("function");
  });
});
