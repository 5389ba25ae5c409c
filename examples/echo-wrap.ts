// The seed's echo server, copas.wrap form: the handler uses the socket the LuaSocket way.
// `npm run example:echo-wrap`.
//
//   function echoHandler(skt)
//     skt = copas.wrap(skt)
//     while true do
//       local data = skt:receive()
//       if data == "quit" then break end
//       skt:send(data)
//     end
//   end
//   server = socket.bind(host, port)
//   copas.addserver(server, echoHandler)
//   copas.loop()
//
// `skt:receive()` becomes `yield* skt.receive()`: the wrapped socket's methods are copas ops.
//
// Environment: HOST, PORT (default 20000; 0: any free port). EXAMPLE_SMOKE=1 (or --smoke):
// serve one client, then exit.
import copas, { socket, type TcpSocket } from "copas";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 20000);
const smoke = process.env.EXAMPLE_SMOKE === "1" || process.argv.includes("--smoke");

function* echoHandler(raw: TcpSocket) {
  const skt = copas.wrap(raw);
  for (;;) {
    const [data] = yield* skt.receive();
    if (data === null || data === "quit") break;
    yield* skt.send(data + "\n");
  }
}

const [server, err] = await socket.bind(host, port);
if (server === null) {
  console.error(`echo server (wrap): cannot listen on ${host}:${port}: ${err}`);
  process.exit(1);
}
copas.addserver(server, smoke ? function* (skt: TcpSocket) { yield* echoHandler(skt); copas.removeserver(server); } : echoHandler);
const [ip, p] = server.getsockname();
console.log(`echo server (wrap) listening on ${ip}:${p}`);
console.log(`try it: nc ${ip} ${p}   (type a line, it comes back; "quit" closes the connection)`);
await copas.loop();
console.log("echo server (wrap): done");
