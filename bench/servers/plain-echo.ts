// The baseline: a plain Node `net` callback echo server, lines split by hand.
// Same stdin commands as copas-echo.ts.
import net from "node:net";
import { serveCommands } from "./commands.js";

const NL = 10;
let open = 0;
let echoed = 0;

const server = net.createServer((s) => {
  open++;
  let pending: Buffer | null = null;
  s.on("data", (chunk: Buffer) => {
    const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
    let start = 0;
    for (let i = buf.indexOf(NL); i !== -1; i = buf.indexOf(NL, start)) {
      s.write(buf.subarray(start, i + 1));
      echoed++;
      start = i + 1;
    }
    pending = start === buf.length ? null : buf.subarray(start);
  });
  s.on("error", () => {});
  s.on("close", () => open--);
});
server.listen({ host: "127.0.0.1", port: Number(process.env.PORT ?? 0), backlog: 4096 }, () => {
  serveCommands(
    () => open,
    () => echoed,
  );
  console.log(`listening ${(server.address() as net.AddressInfo).port}`);
});
