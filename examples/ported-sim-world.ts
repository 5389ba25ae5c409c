// Helpers of examples/ported-sim.spec.ts: run an example program unchanged on a simulated world.
//
// This is an ES module on purpose. mocha (with tsx) loads spec files as CommonJS, while a
// program with top-level await, as a ported one is, can only be loaded as an ES module; each
// module system would then have its own copy of "copas", and the program would run on the other
// copy's defaults. So everything that meets the program (the `simulate` call, the dispatcher,
// the network) is done here, in the module system the program is loaded in.
import sinon from "sinon";
import copas, { socket, type Copas } from "copas";
import { ManualClock, SimNetwork } from "copas/sim";
import { simulate } from "copas/testing";

/** A fresh instance of an example module each time (the query makes it a new module). */
let loads = 0;
const example = (file: string) => new URL(`./${file}?sim=${++loads}`, import.meta.url).href;

export function world(seed: number, extra: { chunkSize?: number } = {}) {
  const clock = new ManualClock();
  clock.autoAdvance = true;
  const net = new SimNetwork({ clock, seed, latency: [0.001, 0.05], ...extra });
  return { clock, net };
}

/** What the defaults of "copas" run on now ("real" or "sim"). */
export function defaultsKind(): [string, string] {
  return [copas.socket._network.kind, socket._network.kind];
}

/**
 * Runs example `file` unchanged on `net` (its HOST and PORT set to 127.0.0.1:20000 of the
 * simulated network), with the threads `clients` adds; once each has called `done()`, the
 * world ends (the examples serve forever). Gives what it printed, the trace and the virtual time.
 */
export async function runExample(net: SimNetwork, file: string, clients: (d: Copas, done: () => void) => void) {
  const log = sinon.stub(console, "log");
  const saved = { HOST: process.env.HOST, PORT: process.env.PORT };
  process.env.HOST = "127.0.0.1";
  process.env.PORT = "20000"; // a port of the simulated host, not of this machine
  try {
    const trace = await simulate(
      net,
      async (d) => {
        let left = 0;
        clients(d, () => {
          if (--left === 0) d.cancelall();
        });
        left = d.status().active;
        await import(example(file)); // its top-level `await copas.loop()` runs everything
        return d.gettrace();
      },
      { trace: true },
    );
    return { printed: log.getCalls().map((c) => c.args.join(" ")), trace, time: net.clock.now() };
  } finally {
    log.restore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** A client's first step on host `host`: connect to the program's port. */
export function* connectFrom(d: Copas, net: SimNetwork, host: string) {
  const raw = net.socket.tcp();
  raw.bind(host, 0);
  const c = d.wrap(raw);
  c.settimeout(10);
  const [ok, err] = yield* c.connect("127.0.0.1", 20000);
  if (ok === null) throw new Error(`${host}: connect: ${err}`);
  return c;
}

/** The echo example with clients on `hosts`, each sending `lines` and then "quit". */
export async function echoRun(seed: number, hosts: string[], lines: string[], chunkSize?: number) {
  const { net } = world(seed, chunkSize === undefined ? {} : { chunkSize });
  const got: Record<string, string[]> = {};
  const r = await runExample(net, "echo-server.ts", (d, done) => {
    for (const host of hosts) {
      d.addnamedthread(host, function* () {
        const c = yield* connectFrom(d, net, host);
        const mine: string[] = (got[host] = []);
        for (const line of lines) {
          yield* c.send(`${line} from ${host}\n`);
          mine.push(String((yield* c.receive())[0]));
        }
        yield* c.send("quit\n");
        mine.push(String((yield* c.receive())[1])); // the server closes
        c.close();
        done();
      });
    }
  });
  return { ...r, got };
}

/** The chat example with three users: each takes a nick, says its lines, listens, quits. */
export async function chatRun(seed: number, says: Record<string, string[]>) {
  const { net } = world(seed);
  const names = Object.keys(says);
  const heard: Record<string, string[]> = {};
  let named = 0;
  const r = await runExample(net, "chat-server.ts", (d, done) => {
    names.forEach((name, i) => {
      heard[name] = [];
      d.addnamedthread(name, function* () {
        const c = yield* connectFrom(d, net, `10.0.1.${i + 1}`);
        const read = function* () {
          const [l] = yield* c.receive();
          if (l !== null) heard[name]!.push(l);
          return l;
        };
        yield* read(); // the welcome
        yield* c.send(`/nick ${name}\n`);
        while ((yield* read()) !== `* you are now ${name}`);
        named++;
        while (named < names.length) yield* d.pause(0.1); // everyone has a nick before anyone speaks
        for (const line of says[name]!) yield* c.send(line + "\n");
        const until = d.gettime() + 2;
        c.settimeout(0.1);
        while (d.gettime() < until) yield* read(); // hear the others
        c.settimeout(10);
        yield* c.send("/quit\n");
        while ((yield* read()) !== null);
        c.close();
        done();
      });
    });
  });
  return { ...r, heard };
}
