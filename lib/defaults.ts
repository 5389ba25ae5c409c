// The real world's defaults, made once: the real clock's network and its LuaSocket layer (the
// `socket` of "copas" and "copas/socket").

import { realClock } from "./node/real-clock.js";
import { makeRealNetwork } from "./node/real-network.js";
import { makeSocketModule, type SocketModule } from "./socket/socket-module.js";

export { realClock };

/** Node's `net` and `dgram` on the real clock. */
const realNetwork = makeRealNetwork(realClock);

/** The LuaSocket layer over Node's `net` (the one `import { socket } from "copas"` gives). */
export const realSocket: SocketModule = makeSocketModule(realNetwork);
