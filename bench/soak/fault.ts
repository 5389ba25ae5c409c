// One fault of `npm run soak`, as a child process, beside the steady load. It runs until stdin
// says "stop" (or its own bound), then closes everything it opened and prints `done <json>`.
// Only loopback addresses; every loop has a bound (connections, bytes).
//
// Usage: fault.ts MODE PORT TLSPORT SCALE
//   churn       C clients: connect, one line, its echo, close; again (several 127.0.0.x sources)
//   slow        N clients send lines and never read what comes back (the server blocks on send)
//   reset       C clients: connect, half a line, then a reset (RST); again
//   huge        N clients each send one endless line (no "\n"), up to a byte budget each
//   burst       N connections opened at once, one line each, all held open
//   tlsgarbage  C clients send garbage to the TLS port, then close; again
//   tlsstall    N clients open TLS connections and stall: half a ClientHello, or nothing
// SCALE (1 full, less for a quick run) multiplies the counts.

import net from "node:net";
import readline from "node:readline";

const [mode, portS, tlsPortS, scaleS] = process.argv.slice(2);
const port = Number(portS);
const tlsPort = Number(tlsPortS);
const scale = Number(scaleS ?? 1);
const n = (full: number) => Math.max(1, Math.round(full * scale));

const stats: Record<string, number> = { ops: 0, errors: 0, closedByServer: 0, bytes: 0 };
const open = new Set<net.Socket>();
let stopping = false;
/** Most connections a looping fault makes in one run. */
const MAX_CONNS = n(60_000);
let made = 0;
const SOURCES = Array.from({ length: 8 }, (_v, i) => `127.0.0.${i + 1}`);

function connect(p: number, onClose?: (byServer: boolean) => void): net.Socket | null {
  if (stopping || made >= MAX_CONNS) return null;
  made++;
  const s = net.connect({ host: "127.0.0.1", port: p, localAddress: SOURCES[made % SOURCES.length] });
  open.add(s);
  s.on("error", () => stats.errors!++);
  s.on("close", () => {
    open.delete(s);
    const byServer = !ours.has(s);
    if (byServer && !stopping) stats.closedByServer!++;
    onClose?.(byServer);
  });
  return s;
}

/** Sockets this process closed itself (others were closed by the server). */
const ours = new WeakSet<net.Socket>();

function kill(s: net.Socket, reset = false): void {
  ours.add(s);
  if (reset) s.resetAndDestroy();
  else s.destroy();
}

/** Keeps `c` loops of `one` going until stopped or out of connections. */
function loops(c: number, one: (next: () => void) => void): void {
  for (let i = 0; i < c; i++) {
    const next = () => {
      if (!stopping) setImmediate(() => one(next));
    };
    one(next);
  }
}

const modes: Record<string, () => void> = {
  churn() {
    loops(n(50), (next) => {
      const s = connect(port, () => next());
      if (s === null) return;
      let got = "";
      s.setEncoding("latin1");
      s.on("connect", () => s.write("churn\n"));
      s.on("data", (d: string) => {
        got += d;
        if (got === "churn\n") {
          stats.ops!++;
          kill(s);
        }
      });
    });
  },
  slow() {
    // Enough to fill the client's receive buffer and the server's send buffers, so the server's
    // handler blocks on send (its send timeout then lets the client go).
    const chunk = Buffer.from("s".repeat(16383) + "\n");
    const budget = 8 * 1024 * 1024;
    for (let i = 0; i < n(50); i++) {
      const s = connect(port);
      if (s === null) break;
      s.pause(); // never reads
      let sent = 0;
      const pump = () => {
        while (!stopping && sent < budget && !s.destroyed) {
          sent += chunk.length;
          stats.bytes! += chunk.length;
          if (!s.write(chunk)) return s.once("drain", pump);
        }
      };
      s.on("connect", () => {
        stats.ops!++;
        pump();
      });
    }
  },
  reset() {
    loops(n(20), (next) => {
      const s = connect(port, () => next());
      if (s === null) return;
      s.on("connect", () =>
        s.write("half a line, never ended", () => {
          stats.ops!++;
          kill(s, true);
        }),
      );
    });
  },
  huge() {
    const chunk = Buffer.alloc(64 * 1024, 120); // "x", no "\n"
    const budget = 64 * 1024 * 1024;
    for (let i = 0; i < n(4); i++) {
      const s = connect(port);
      if (s === null) break;
      let sent = 0;
      const pump = () => {
        while (!stopping && sent < budget && !s.destroyed) {
          sent += chunk.length;
          stats.bytes! += chunk.length;
          if (!s.write(chunk)) return s.once("drain", pump);
        }
      };
      s.on("connect", () => {
        stats.ops!++;
        pump();
      });
    }
  },
  burst() {
    const total = n(5000);
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const s = connect(port);
      if (s === null) break;
      let got = "";
      s.setEncoding("latin1");
      s.on("connect", () => s.write("burst\n"));
      s.on("data", (d: string) => {
        got += d;
        if (got === "burst\n") {
          stats.ops!++;
          if (stats.ops === total) stats.allServedMs = Math.round(performance.now() - t0);
        }
      });
    }
  },
  tlsgarbage() {
    const garbage = Buffer.alloc(517);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 37 + 11) & 255;
    loops(n(50), (next) => {
      const s = connect(tlsPort, () => next());
      if (s === null) return;
      s.on("connect", () => {
        stats.ops!++;
        s.write(garbage);
        s.resume();
        // The server should drop it at once; if not, give up after 2 s.
        setTimeout(() => kill(s), 2000).unref();
      });
    });
  },
  tlsstall() {
    // A TLS record header announcing a 512-byte handshake message, then only its first bytes.
    const half = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, ...new Array<number>(20).fill(7)]);
    for (let i = 0; i < n(200); i++) {
      const s = connect(tlsPort);
      if (s === null) break;
      s.on("connect", () => {
        stats.ops!++;
        if (i % 2 === 0) s.write(half);
        s.resume();
      });
    }
  },
};

const run = modes[mode!];
if (run === undefined) throw new Error(`soak fault: unknown mode ${mode}`);
run();
console.log("started");

readline.createInterface({ input: process.stdin }).on("line", (cmd) => {
  if (cmd !== "stop") return;
  stopping = true;
  stats.openAtStop = open.size;
  for (const s of open) kill(s);
  // Let the closes go out before reporting.
  setTimeout(() => {
    console.log(`done ${JSON.stringify(stats)}`);
    process.exit(0);
  }, 200);
});
