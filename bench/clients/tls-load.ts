// Load client for bench/suites/tls.ts, run as a child process:
//   node --conditions=copas-source --import tsx bench/clients/tls-load.ts <port> <conns> <warmup s> <seconds> <ca file>
// Opens <conns> TLS connections to 127.0.0.1:<port> (server name "localhost", verified against
// the CA), then each plays ping-pong with 64-byte lines. After the warm-up it counts the echoes
// received for <seconds> and prints one line of JSON: { "messages": n, "seconds": s }.
import fs from "node:fs";
import tls from "node:tls";

const [port, conns, warmup, seconds, ca] = process.argv.slice(2);
const LINE = Buffer.from("x".repeat(63) + "\n", "latin1");
const context = tls.createSecureContext({ ca: fs.readFileSync(ca!) });

let counting = false;
let messages = 0;
let open = 0;
const sockets: tls.TLSSocket[] = [];

function start(): void {
  const s = tls.connect({ host: "127.0.0.1", port: Number(port), servername: "localhost", secureContext: context });
  sockets.push(s);
  s.setNoDelay(true);
  let pending = 0;
  s.on("secureConnect", () => {
    open++;
    s.write(LINE);
  });
  s.on("data", (d: Buffer) => {
    pending += d.length;
    while (pending >= LINE.length) {
      pending -= LINE.length;
      if (counting) messages++;
      s.write(LINE);
    }
  });
  s.on("error", (e: Error) => {
    process.stderr.write(`tls-load: ${e.message}\n`);
    process.exit(1);
  });
}

for (let i = 0; i < Number(conns); i++) start();

setTimeout(() => {
  counting = true;
  const t0 = performance.now();
  setTimeout(() => {
    counting = false;
    const s = (performance.now() - t0) / 1000;
    process.stdout.write(JSON.stringify({ messages, seconds: s, open }) + "\n");
    for (const k of sockets) k.destroy();
    process.exit(0);
  }, Number(seconds) * 1000);
}, Number(warmup) * 1000);
