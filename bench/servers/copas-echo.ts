// The seed's echo server (copas.receive / copas.send), as a benchmark child process.
// Prints `listening <port>`; on stdin, "heap" answers `heap <heapUsed bytes>` (after gc when
// run with --expose-gc), "conns" answers `conns <open connections>`, "cpu" `cpu <us> <lines>`.
import copas, { socket, type TcpSocket } from "copas";
import { serveCommands } from "./commands.js";

let open = 0;
let echoed = 0;

function* echoHandler(skt: TcpSocket) {
  open++;
  try {
    for (;;) {
      const [data] = yield* copas.receive(skt);
      if (data === null || data === "quit") break;
      yield* copas.send(skt, data + "\n");
      echoed++;
    }
  } finally {
    open--;
  }
}

const [server, err] = await socket.bind("127.0.0.1", Number(process.env.PORT ?? 0), 4096);
if (server === null) throw new Error(`copas echo: ${err}`);
copas.addserver(server, echoHandler);
serveCommands(
  () => open,
  () => echoed,
);
console.log(`listening ${server.getsockname()[1]}`);
await copas.loop();
