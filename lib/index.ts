/**
 * copas: Lua's Copas dispatcher for TypeScript. Handlers are generator functions that yield
 * copas operations; the dispatcher multiplexes them over non-blocking sockets.
 *
 * ```ts
 * import copas, { socket } from "copas";
 * const [server] = await socket.bind("127.0.0.1", 20000);
 * copas.addserver(server!, function* (skt) {
 *   for (;;) {
 *     const [line] = yield* copas.receive(skt);
 *     if (line === null || line === "quit") break;
 *     yield* copas.send(skt, line + "\n");
 *   }
 * });
 * await copas(); // copas.loop()
 * ```
 *
 * @module
 */
import { Copas, realSocket } from "./dispatcher.js";
import { makeCallable, type CallableCopas } from "./callable.js";

export { Copas, FAIRNESS_INTERVAL } from "./dispatcher.js";
export type { CopasOptions, CopasStatus, ErrorHandler, AnySocket } from "./dispatcher.js";
export { Thread } from "./trampoline.js";
export { CopasSocket } from "./wrap.js";
export type { SslParams } from "./wrap.js";
export { TcpSocket, DEFAULT_RECV_BUFFER, DEFAULT_SEND_BUFFER } from "./tcp.js";
export { UdpSocket, DEFAULT_RECV_BACKLOG, MAX_DATAGRAM } from "./udp.js";
export { TlsSocket } from "./tls-socket.js";
export type { SocketModule } from "./socket.js";
export type { Clock } from "./clock.js";
export { Lock, LOCK_TIMEOUT } from "./lock.js";
export type { LockModule, LockGetResult, TrueResult } from "./lock.js";
export { Semaphore, SEMAPHORE_TIMEOUT } from "./semaphore.js";
export type { SemaphoreModule, CountResult } from "./semaphore.js";
export { Queue } from "./queue.js";
export type { QueueModule, QueueOptions, PopResult } from "./queue.js";
export { Future, PENDING, SUCCESS, ERROR } from "./future.js";
export type { FutureModule, FutureResult, FutureTry, ResultOf } from "./future.js";
export { Timer } from "./timer.js";
export type { TimerModule, TimerOptions } from "./timer.js";
export { ltn12, BLOCKSIZE } from "./ltn12.js";
export type { Ltn12Module, Source, Sink, SinkResult, PumpResult } from "./ltn12.js";
export { DEBUG_ORIGINAL } from "./debug.js";
export type { DebugModule, DebugLogger } from "./debug.js";
export { HttpModule, MAXHEADERSIZE } from "./http.js";
export { SmtpModule } from "./smtp.js";
export { FtpModule } from "./ftp.js";
export type { FtpParams } from "./ftp.js";
export type { SmtpMail, SmtpMessage, SmtpMultipart } from "./smtp.js";
export type { HttpRequestParams, HttpRequest, HttpResult, HttpHeaders, HttpTimeout } from "./http.js";
export type { OpSource, OpSink } from "./pull.js";
export type { Encoding } from "./patterns.js";
export type { Op, Data, Pattern, ReceiveResult, SendResult, OkResult, ThreadFn } from "./types.js";

export type { CallableCopas } from "./callable.js";

/** The default dispatcher, on the real clock and network. */
const copas: CallableCopas = makeCallable(new Copas());

/** The LuaSocket layer over Node's `net` (LuaSocket's `socket` module). */
export const socket = realSocket;

export default copas;
