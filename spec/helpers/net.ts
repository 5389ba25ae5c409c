// Real TCP on 127.0.0.1 (port 0) for tests: a listening server, and connected pairs made
// outside any copas thread.

import type { Copas, TcpSocket } from "copas";
import type { Watcher } from "../../lib/socket/select.js";

/** A server of `copas`'s socket layer on 127.0.0.1, and its port. */
export async function listen(copas: Copas): Promise<[TcpSocket, number]> {
  const [server, err] = await copas.socket.bind("127.0.0.1", 0);
  if (server === null) throw new Error(`bind failed: ${err}`);
  const [, port] = server.getsockname() as [string, number, string];
  return [server, port];
}

/** A connected pair `[client, accepted]` on `copas`'s socket layer; the listener is closed. */
export async function pair(copas: Copas): Promise<[TcpSocket, TcpSocket]> {
  const [server, port] = await listen(copas);
  const [client, err] = await copas.socket.connect("127.0.0.1", port);
  if (client === null) throw new Error(`connect failed: ${err}`);
  await copas.socket.select([server], null);
  const [accepted] = server.accept();
  server.close();
  if (accepted === null) throw new Error("accept failed");
  return [client, accepted];
}

/**
 * Resolves once `skt` has received `n` bytes in all (getstats), told by the socket itself (its
 * select watcher slot): the real network may read into a reused buffer, with no 'data' events.
 */
export function received(skt: TcpSocket, n: number): Promise<void> {
  return new Promise((resolve) => {
    const w: Watcher = { ready: () => check() };
    const check = () => {
      if (skt.getstats()[0] >= n) resolve();
      else skt._srw = w;
    };
    check();
  });
}

/** A raw Node client (`net.Socket`, no delay) connected to a copas-layer server: `[raw, accepted]`. */
export async function rawPair(copas: Copas): Promise<[import("node:net").Socket, TcpSocket]> {
  const net = await import("node:net");
  const [server, port] = await listen(copas);
  const raw = net.createConnection({ host: "127.0.0.1", port });
  raw.setNoDelay(true);
  await new Promise<void>((r) => raw.once("connect", () => r()));
  await copas.socket.select([server], null);
  const [accepted] = server.accept();
  server.close();
  if (accepted === null) throw new Error("accept failed");
  return [raw, accepted];
}
