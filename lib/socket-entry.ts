/// <reference types="node" preserve="true" />
// (The declarations use Buffer and node:tls types: a consumer gets Node's types through this line,
// without listing "node" in its own "types", as TypeScript 6 and later require.)
/**
 * "copas/socket": the LuaSocket layer alone, for code that wants LuaSocket's API without the
 * dispatcher (`socket.bind`, `socket.connect`, `socket.select`, ...).
 *
 * ```ts
 * import socket from "copas/socket";
 * const [client, err] = await socket.connect("127.0.0.1", 20000);
 * ```
 *
 * @module copas/socket
 */
import { defaultSocket } from "./defaults.js";

export { TcpSocket } from "./socket/tcp.js";
export { UdpSocket } from "./socket/udp.js";
export type { SocketModule } from "./socket/socket-module.js";
/** `socket.bind(host, port, backlog?)`: a listening server; see {@link SocketModule.bind}. */
export const bind = defaultSocket.bind;
/** `socket.connect(host, port)`: a connected client; see {@link SocketModule.connect}. */
export const connect = defaultSocket.connect;
/** `socket.select(recvt, sendt, timeout?)`; see {@link SocketModule.select}. */
export const select = defaultSocket.select;
/** `socket.gettime()`: seconds since the epoch; see {@link SocketModule.gettime}. */
export const gettime = defaultSocket.gettime;
/** `socket.sleep(seconds)`, a Promise; see {@link SocketModule.sleep}. */
export const sleep = defaultSocket.sleep;
/** `socket.tcp()`: a master TCP object; see {@link SocketModule.tcp}. */
export const tcp = defaultSocket.tcp;
/** `socket.tcp4()`; see {@link SocketModule.tcp4}. */
export const tcp4 = defaultSocket.tcp4;
/** `socket.tcp6()`; see {@link SocketModule.tcp6}. */
export const tcp6 = defaultSocket.tcp6;
/** `socket.udp()`: an unbound UDP object; see {@link SocketModule.udp}. */
export const udp = defaultSocket.udp;
/** `socket.udp4()`; see {@link SocketModule.udp4}. */
export const udp4 = defaultSocket.udp4;
/** `socket.udp6()`; see {@link SocketModule.udp6}. */
export const udp6 = defaultSocket.udp6;
/** The LuaSocket layer over Node's `net` and `dgram` (the same object as `socket` from "copas"; it follows the default world, see "copas/testing"). */
export default defaultSocket;
