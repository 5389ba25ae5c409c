// A UDP echo server and a client in one program (`npm run example:udp`); it exits by itself.
//
//   server = socket.udp(); server:setsockname("127.0.0.1", 0)
//   copas.addserver(server, function(skt)          -- one handler thread for a UDP "server"
//     skt = copas.wrap(skt)
//     while true do
//       local data, ip, port = skt:receivefrom()
//       skt:sendto(data, ip, port)
//     end
//   end)
import copas, { socket, type UdpSocket } from "copas";

const server = socket.udp();
const [, err] = await server.setsockname("127.0.0.1", 0);
if (err !== null) {
  console.error(`udp echo: cannot bind: ${err}`);
  process.exit(1);
}
const [ip, port] = server.getsockname() as [string, number, string];
console.log(`udp echo server on ${ip}:${port}`);

copas.addserver(
  server,
  function* (skt: UdpSocket) {
    const w = copas.wrap(skt);
    for (;;) {
      const [data, from, fromPort] = yield* w.receivefrom();
      if (data === null) return; // closed
      w.sendto(data, from, fromPort);
    }
  },
  null,
  "udp-echo",
);

copas.addthread(function* () {
  // A connected client: send/receive talk to the server only.
  const client = copas.wrap(socket.udp());
  client.settimeout(2); // copas timeout: a lost datagram gives "timeout", not a hang
  yield client.setpeername(ip, port);
  for (const msg of ["hello", "copas", "datagrams keep their boundaries"]) {
    yield* client.send(msg);
    const [echo, e] = yield* client.receive();
    console.log(`sent ${JSON.stringify(msg)}, got ${echo === null ? e : JSON.stringify(echo)}`);
  }
  // An unconnected one: sendto/receivefrom name the peer each time.
  const other = copas.wrap(socket.udp());
  other.settimeout(2);
  other.sendto("from an unconnected socket", ip, port);
  const [echo, from, fromPort] = yield* other.receivefrom();
  console.log(`got ${JSON.stringify(echo)} from ${from}:${fromPort}`);
  // Wrapped UDP sockets stay open on close (as Copas); close the objects themselves.
  (client.socket as UdpSocket).close();
  (other.socket as UdpSocket).close();
  copas.removeserver(server);
});

await copas.loop();
console.log("done");
