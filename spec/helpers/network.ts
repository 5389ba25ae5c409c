// Networks for tests (lib/network.ts's interface): the real one with a hook that tells the
// test when a server got a connection, and one whose connections never complete.

import { EventEmitter } from "node:events";
import type { Clock } from "../../lib/common/clock.js";
import type { Network, StreamLike } from "../../lib/socket/network.js";
import { makeRealNetwork } from "../../lib/node/real-network.js";
import { makeSocketModule, type SocketModule } from "../../lib/socket/socket-module.js";

/** The real network; `connected()` resolves at the next connection a server gets. */
export class SpyNetwork {
  readonly socket: SocketModule;
  #events = new EventEmitter();

  constructor(clock: Clock) {
    const real = makeRealNetwork(clock);
    const net: Network = {
      kind: "real",
      clock,
      connect: (o) => real.connect(o),
      listen: (o) =>
        real.listen({
          ...o,
          onConnection: (s) => {
            o.onConnection(s);
            this.#events.emit("connection");
          },
        }),
    };
    this.socket = makeSocketModule(net);
  }

  /** Resolves after the next connection was handed to its server socket. */
  connected(): Promise<void> {
    return new Promise((resolve) => this.#events.once("connection", () => resolve()));
  }
}

/** A stream that never connects, never receives and never errs (until destroyed). */
class DeadStream extends EventEmitter implements StreamLike {
  writableLength = 0;
  destroyed = false;
  override on(event: string, fn: (...a: never[]) => void): this {
    return super.on(event, fn as (...a: unknown[]) => void);
  }
  write(): boolean {
    return false;
  }
  pause(): unknown {
    return this;
  }
  resume(): unknown {
    return this;
  }
  end(): unknown {
    return this;
  }
  destroy(): unknown {
    this.destroyed = true;
    return this;
  }
  setNoDelay(): unknown {
    return this;
  }
  setKeepAlive(): unknown {
    return this;
  }
}

/** A network on which every connect stays pending forever (as to a host that drops SYNs). */
export function blackholeNetwork(clock: Clock): { socket: SocketModule; streams: DeadStream[] } {
  const streams: DeadStream[] = [];
  const net: Network = {
    kind: "real",
    clock,
    connect: () => {
      const s = new DeadStream();
      streams.push(s);
      return s;
    },
    listen: () => Promise.resolve([null, "permission denied"]),
  };
  return { socket: makeSocketModule(net), streams };
}
