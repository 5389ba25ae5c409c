/**
 * "copas/socket": the LuaSocket layer alone, for code that wants LuaSocket's API without the
 * dispatcher (`socket.bind`, `socket.connect`, `socket.select`, ...).
 *
 * ```ts
 * import socket from "copas/socket";
 * const [client, err] = await socket.connect("127.0.0.1", 20000);
 * ```
 */
import { realSocket } from "./defaults.js";

export { TcpSocket } from "./socket/tcp.js";
export { UdpSocket } from "./socket/udp.js";
export type { SocketModule } from "./socket/socket-module.js";
export const { bind, connect, select, gettime, sleep, tcp, tcp4, tcp6, udp, udp4, udp6 } = realSocket;
export default realSocket;
