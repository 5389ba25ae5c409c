// A consumer of the packed package, as a new user writes one: compiled by run.mjs in a fresh
// project with "strict": true, "skipLibCheck": false and module NodeNext, then run with node.
// It uses the default export (callable), the Copas class, copas/socket and copas/sim, and does
// one echo round trip over the simulated network and one over 127.0.0.1.
import copas, { Copas, socket, type CopasSocket, type TcpSocket } from "copas";
import luasocket, { bind, connect } from "copas/socket";
import { ManualClock, SimNetwork } from "copas/sim";

/** Echoes one line back, on whichever dispatcher it is given. */
function echoOnce(d: Copas) {
  return function* (skt: TcpSocket) {
    const [line, err] = yield* d.receive(skt);
    if (err !== null) throw new Error(`server receive: ${err}`);
    yield* d.send(skt, line + "\n");
  };
}

/** Sends `text` as a line over a wrapped client and returns the answer. */
function* ask(skt: CopasSocket, text: string) {
  const [, sendErr] = yield* skt.send(text + "\n");
  if (sendErr !== null) throw new Error(`client send: ${sendErr}`);
  const [answer, err] = yield* skt.receive();
  if (err !== null) throw new Error(`client receive: ${err}`);
  return answer; // string: narrowed by `err !== null`
}

async function overSim(): Promise<string> {
  const clock = new ManualClock();
  clock.autoAdvance = true;
  const net = new SimNetwork({ clock, seed: 1, latency: [0.001, 0.05] });
  const d = new Copas({ clock, network: net });
  const [server, err] = await net.socket.bind("10.0.0.1", 7);
  if (server === null) throw new Error(`sim bind: ${err}`);
  d.addserver(server, echoOnce(d));
  let got = "";
  d.addthread(function* () {
    const skt = d.wrap(net.socket.tcp());
    const [ok, cerr] = yield* skt.connect("10.0.0.1", 7);
    if (ok === null) throw new Error(`sim connect: ${cerr}`);
    got = yield* ask(skt, "hello sim");
    skt.close();
    d.removeserver(server);
  });
  await d.loop();
  return `${got} at ${clock.now().toFixed(3)} s`;
}

async function overTcp(): Promise<string> {
  if (luasocket.bind !== socket.bind || bind !== socket.bind) throw new Error("copas/socket is not the socket of copas");
  const [server, err] = await bind("127.0.0.1", 0);
  if (server === null) throw new Error(`bind: ${err}`);
  const [host, port] = server.getsockname();
  if (host === null) throw new Error(`getsockname: ${port}`);
  copas.addserver(server, echoOnce(copas));
  let got = "";
  copas.addthread(function* () {
    const [raw, cerr] = yield* copas.await(connect(host, port)); // a Promise, awaited by the thread
    if (raw === null) throw new Error(`connect: ${cerr}`);
    got = yield* ask(copas.wrap(raw), "hello tcp");
    copas.close(raw);
    copas.removeserver(server);
  });
  await copas(); // the default export is callable: copas.loop()
  return got;
}

const sim = await overSim();
const tcp = await overTcp();
console.log(`consumer esm ok: ${sim}; ${tcp}`);
