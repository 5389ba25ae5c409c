/// <reference types="node" preserve="true" />
// (The declarations use Buffer and node:tls types: a consumer gets Node's types through this line,
// without listing "node" in its own "types", as TypeScript 6 and later require.)
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
 * Every function that may wait is an op: a generator, run with `yield*` from a copas thread.
 * Functions give Lua's results as tuples padded with `null` (`[data, null, null]` or
 * `[null, err, partial]`), with LuaSocket's and Copas's error strings; a wrong argument type
 * throws a `TypeError` naming the argument and what it accepts. Each member names its Lua
 * counterpart. The contract as a whole: docs/API.md.
 *
 * @module copas
 */
import type { CallableCopas } from "./callable.js";
import { defaultSocket } from "./defaults.js";
import { defaultCopas } from "./default-world.js";
import { runCluster, type ClusterOptions, type ClusterPrimary, type ClusterWorker } from "./node/cluster.js";

export { Copas } from "./copas.js";
export type { CopasOptions } from "./copas.js";
export { Dispatcher, FAIRNESS_INTERVAL } from "./core/dispatcher.js";
export type { CopasStatus, ErrorHandler, AnySocket, HandlerSocket } from "./core/dispatcher.js";
export { Thread } from "./core/trampoline.js";
export { CopasSocket } from "./core/wrap.js";
export type { SslParams } from "./core/wrap.js";
export { TcpSocket, DEFAULT_RECV_BUFFER, DEFAULT_SEND_BUFFER, DEFAULT_CLOSE_LINGER } from "./socket/tcp.js";
export { DEFAULT_MAX_LINE, DEFAULT_MAX_RECEIVE } from "./socket/patterns.js";
export { UdpSocket, DEFAULT_RECV_BACKLOG, MAX_DATAGRAM } from "./socket/udp.js";
export { TlsSocket } from "./socket/tls-socket.js";
export { TlsHandshakeError } from "./common/errors.js";
export { HANDSHAKE_TIMEOUT } from "./core/handshake.js";
export type { SocketModule } from "./socket/socket-module.js";
export type { Selectable } from "./socket/select.js";
export type { Clock } from "./common/clock.js";
export { preciseClock } from "./node/precise-clock.js";
export { Lock, LOCK_TIMEOUT } from "./sync/lock.js";
export type { LockModule, LockGetResult, TrueResult } from "./sync/lock.js";
export { Semaphore, SEMAPHORE_TIMEOUT } from "./sync/semaphore.js";
export type { SemaphoreModule, CountResult } from "./sync/semaphore.js";
export { Queue } from "./sync/queue.js";
export type { QueueModule, QueueOptions, PopResult } from "./sync/queue.js";
export { Future, PENDING, SUCCESS, ERROR } from "./sync/future.js";
export type { FutureModule, FutureResult, FutureTry, ResultOf } from "./sync/future.js";
export { Timer } from "./sync/timer.js";
export type { TimerModule, TimerOptions } from "./sync/timer.js";
export { ltn12, BLOCKSIZE } from "./clients/ltn12.js";
export type { Ltn12Module, Source, Sink, SinkResult, PumpResult } from "./clients/ltn12.js";
export { DEBUG_ORIGINAL } from "./common/symbols.js";
export type { DebugModule, DebugLogger } from "./debug/debug.js";
export { HttpModule, MAXHEADERSIZE, MAXINTERIM, MAXBODYSIZE } from "./clients/http.js";
export { MAXLINE, MAXREPLYSIZE } from "./clients/tp.js";
export { SmtpModule } from "./clients/smtp.js";
export { FtpModule } from "./clients/ftp.js";
export type { FtpParams } from "./clients/ftp.js";
export type { SmtpMail, SmtpMessage, SmtpMultipart, OpSourceSync } from "./clients/smtp.js";
export type { HttpRequestParams, HttpRequest, HttpResult, HttpHeaders, HttpTimeout } from "./clients/http.js";
export type { OpSource, OpSink } from "./clients/pull.js";
export type { Encoding } from "./socket/patterns.js";
export type { Op, Data, Pattern, ReceiveResult, SendResult, OkResult, ThreadFn } from "./common/types.js";

export type { CallableCopas } from "./callable.js";
export type { ClusterOptions, ClusterPrimary, ClusterWorker, ClusterCopas, ClusterEvents, ListenAddress, WorkerInfo, WorkerReport } from "./node/cluster.js";

/**
 * The default dispatcher, on the real clock and network; callable: `copas()` is `copas.loop()`.
 * A test may point it at a simulated world for a while ("copas/testing": `simulate`).
 *
 * @lua `local copas = require "copas"`
 */
const copas: CallableCopas = defaultCopas;

/**
 * The LuaSocket layer over Node's `net` and `dgram` (LuaSocket's `socket` module). It forwards
 * to the default dispatcher's world: the real one, unless a test points it elsewhere.
 *
 * @lua `local socket = require "socket"`
 */
export const socket = defaultSocket;

export default copas;

/**
 * Runs the same copas server on N worker processes sharing its ports (node:cluster): one per
 * core by default, restarted when one crashes, shut down gracefully on SIGTERM, with each
 * worker's `status()` collected by the primary. Call it once at the top level of the main
 * module; `options.setup(w)` runs in each worker (bind there, add servers with `w.addserver`).
 *
 * ```ts
 * import copas, { cluster, socket } from "copas";
 * cluster({
 *   workers: 2,
 *   async setup(w) {
 *     const [server] = await socket.bind("0.0.0.0", 8080);
 *     w.addserver(server!, echoHandler);
 *   },
 * });
 * ```
 */
export function cluster(options: ClusterOptions): ClusterPrimary | ClusterWorker {
  return runCluster(options?.copas ?? copas, options);
}
