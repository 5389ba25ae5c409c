// The seed's echo server (copas.receive / copas.send form). `npm start` runs it.
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
import copas, { socket, type TcpSocket } from "copas";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 20000);

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
copas.addserver(server, echoHandler);
const [ip, p] = server.getsockname();
console.log(`echo server listening on ${ip}:${p}`);
console.log(`try it: nc ${ip} ${p}   (type a line, it comes back; "quit" closes the connection)`);
await copas.loop();
