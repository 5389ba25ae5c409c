// The seed's echo server, copas.receive / copas.send form. `npm start` runs it on 127.0.0.1:20000.
//
//   function echoHandler(skt)
//     while true do
//       local data = copas.receive(skt)
//       if data == "quit" then break end
//       copas.send(skt, data)
//     end
//   end
//   server = socket.bind(host, port)
//   copas.addserver(server, echoHandler)
//   copas.loop()
//
// Differences from the Lua: `receive` strips the "\n", so it is put back when echoing (the seed
// leaves it off); a closed connection gives `null`, which ends the handler too. The socket is
// closed when the handler returns (copas.autoclose).
//
// Environment: HOST, PORT (0: any free port). EXAMPLE_SMOKE=1 (or --smoke): serve one client,
// then exit (used by spec/examples.spec.ts).
import copas, { socket, type TcpSocket } from "copas";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 20000);
const smoke = process.env.EXAMPLE_SMOKE === "1" || process.argv.includes("--smoke");

function* echoHandler(skt: TcpSocket) {
  for (;;) {
    const [data] = yield* copas.receive(skt);
    if (data === null || data === "quit") break;
    yield* copas.send(skt, data + "\n");
  }
}

const [server, err] = await socket.bind(host, port);
if (server === null) {
  console.error(`echo server: cannot listen on ${host}:${port}: ${err}`);
  process.exit(1);
}
// Smoke mode: stop serving once the first client is done, so copas.loop() returns.
copas.addserver(server, smoke ? function* (skt: TcpSocket) { yield* echoHandler(skt); copas.removeserver(server); } : echoHandler);
const [ip, p] = server.getsockname();
console.log(`echo server listening on ${ip}:${p}`);
console.log(`try it: nc ${ip} ${p}   (type a line, it comes back; "quit" closes the connection)`);
await copas.loop();
console.log("echo server: done");
