// Your own loop: copas.step() at each iteration, other processing in between.
// `npm run example:own-loop`.
//
//   while condition do
//     copas.step()
//     -- processing for other events here
//   end
//
// The copas side is the seed's echo server. The "other events" are commands typed on this
// process's terminal (stdin): "status" prints copas.status(), "stop" ends the loop. Each step
// waits at most STEP_TIMEOUT seconds for socket events, so the loop comes back regularly to look
// at the other source even when no client talks.
//
// Environment: HOST, PORT (default 20000; 0: any free port). EXAMPLE_SMOKE=1 (or --smoke):
// serve one client, then end the loop.
import readline from "node:readline";
import copas, { socket, type TcpSocket } from "copas";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 20000);
const smoke = process.env.EXAMPLE_SMOKE === "1" || process.argv.includes("--smoke");
const STEP_TIMEOUT = 0.1;

let served = 0;

function* echoHandler(skt: TcpSocket) {
  for (;;) {
    const [data] = yield* copas.receive(skt);
    if (data === null || data === "quit") break;
    yield* copas.send(skt, data + "\n");
  }
  served++;
}

const [server, err] = await socket.bind(host, port);
if (server === null) {
  console.error(`own loop: cannot listen on ${host}:${port}: ${err}`);
  process.exit(1);
}
copas.addserver(server, echoHandler);
const [ip, p] = server.getsockname();
console.log(`echo server (own loop) listening on ${ip}:${p}`);
console.log(`try it: nc ${ip} ${p}; type "status" or "stop" here`);

// The other source of events: lines typed here, queued until the loop looks at them.
const commands: string[] = [];
const input = readline.createInterface({ input: process.stdin });
input.on("line", (line) => commands.push(line.trim()));
input.on("close", () => commands.push("eof"));

let running = true;
let steps = 0;
while (running) {
  await copas.step(STEP_TIMEOUT);
  steps++;
  // Processing for other events here.
  for (let c = commands.shift(); c !== undefined; c = commands.shift()) {
    if (c === "status") console.log("status:", JSON.stringify(copas.status()));
    else if (c === "stop") running = false;
  }
  if (smoke && served > 0) running = false;
}
input.close();
// Stop serving: cancelall removes the server and closes the sockets threads wait on; the loop
// then runs the handlers to their end.
copas.cancelall();
await copas.loop();
console.log(`own loop: done after ${steps} steps, ${served} client(s) served`);
