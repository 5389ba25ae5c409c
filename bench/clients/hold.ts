// Opens CONNS connections to an echo server, does one round trip on each (so the server has
// accepted it and its handler is waiting), then holds them all open, idle, until stdin closes.
// Prints `ready <open connections>` once all are set up.
//
// Usage: hold.ts PORT CONNS
import net from "node:net";

const [port, conns] = process.argv.slice(2).map(Number) as [number, number];
const RAMP = 200;
const held: net.Socket[] = [];
let started = 0;
let settled = 0;
let ok = 0;

function open(): void {
  started++;
  const s = net.connect({ host: "127.0.0.1", port });
  let done = false;
  const settle = (good: boolean) => {
    if (done) return;
    done = true;
    settled++;
    if (good) ok++;
    if (started < conns) open();
    else if (settled === conns) console.log(`ready ${ok}`);
  };
  let got = "";
  s.setEncoding("latin1");
  s.on("connect", () => s.write("hi\n"));
  s.on("data", (d: string) => {
    got += d;
    if (got === "hi\n") settle(true);
  });
  s.on("error", () => settle(false));
  s.on("close", () => settle(false));
  held.push(s);
}

for (let i = 0; i < Math.min(RAMP, conns); i++) open();
process.stdin.resume();
process.stdin.on("end", () => {
  for (const s of held) s.destroy();
  process.exit(0);
});
