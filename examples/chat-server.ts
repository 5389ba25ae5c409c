// A line-based chat server: every line a client sends goes to all the other clients.
// `npm run example:chat`, then connect a few terminals with `nc 127.0.0.1 20000`.
//
// Commands: "/nick NAME" changes your name, "/quit" leaves. A Lua Copas version would look like:
//
//   local clients = {}
//   local function handler(skt)            -- registered with copas.handler(handler)
//     local me = { skt = skt, nick = nextGuest() }
//     clients[me] = true
//     while true do
//       local line = skt:receive()
//       if not line or line == "/quit" then break end
//       ... /nick, or broadcast("<" .. me.nick .. "> " .. line, me)
//     end
//     clients[me] = nil
//   end
//
// Each client has a writer thread that sends its outgoing lines, so a client that stops
// reading slows down nobody but itself; its queue is bounded and it is dropped when the queue
// is full. The writer sleeps in pauseforever() and is woken with wakeup() when lines arrive;
// it owns the socket and closes it after the last line (so "* bye" is not lost).
//
// Environment: HOST, PORT (default 20000; 0: any free port). EXAMPLE_SMOKE=1 (or --smoke):
// exit once the room is empty again after someone joined.
import copas, { socket, type CopasSocket, type Thread } from "copas";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 20000);
const smoke = process.env.EXAMPLE_SMOKE === "1" || process.argv.includes("--smoke");

/** Lines queued for one client before it counts as too slow and is dropped. */
const MAX_QUEUED = 1000;
/** Seconds a send may wait for a client to read. */
const SEND_TIMEOUT = 30;
const NICK = /^[A-Za-z0-9_-]{1,32}$/;

interface Client {
  skt: CopasSocket;
  nick: string;
  /** Lines waiting to be sent, oldest first. */
  outbox: string[];
  writer: Thread | null;
  /** No more lines will be queued; the writer sends what is left, then closes the socket. */
  leaving: boolean;
}

const clients = new Set<Client>();
let guests = 0;

function deliver(c: Client, line: string): void {
  if (c.leaving) return;
  if (c.outbox.length >= MAX_QUEUED) {
    c.leaving = true; // too slow: drop it
    c.outbox.length = 0;
  } else c.outbox.push(line);
  copas.wakeup(c.writer!);
}

function broadcast(line: string, except: Client | null): void {
  for (const c of clients) if (c !== except) deliver(c, line);
}

/** Sends a client's queued lines; owns its socket and closes it at the end. */
function* writer(c: Client) {
  for (;;) {
    while (c.outbox.length > 0) {
      const [, err] = yield* c.skt.send(c.outbox.shift()! + "\n");
      if (err !== null) {
        c.leaving = true;
        c.outbox.length = 0;
      }
    }
    if (c.leaving) break;
    yield* copas.pauseforever(); // until deliver() or the handler wakes us
  }
  c.skt.close(); // the reader, if still waiting, gets "closed"
  if (smoke && clients.size === 0) copas.removeserver(server!);
}

function* chatHandler(skt: CopasSocket) {
  const me: Client = { skt, nick: `guest${++guests}`, outbox: [], writer: null, leaving: false };
  skt.settimeouts(null, SEND_TIMEOUT, null);
  me.writer = copas.addthread(writer, me);
  deliver(me, `* welcome, ${me.nick}; ${clients.size} other(s) here. Commands: /nick NAME, /quit`);
  broadcast(`* ${me.nick} joined`, me);
  clients.add(me);
  try {
    for (;;) {
      const [line] = yield* skt.receive();
      if (line === null || me.leaving) break;
      if (line === "") continue;
      if (line === "/quit") {
        deliver(me, "* bye");
        break;
      }
      if (line === "/nick" || line.startsWith("/nick ")) {
        const nick = line.slice(5).trim();
        if (!NICK.test(nick)) deliver(me, "* a nick is 1 to 32 letters, digits, _ or -");
        else if ([...clients].some((c) => c.nick === nick)) deliver(me, `* ${nick} is taken`);
        else {
          broadcast(`* ${me.nick} is now ${nick}`, me);
          me.nick = nick;
          deliver(me, `* you are now ${nick}`);
        }
      } else if (line.startsWith("/")) deliver(me, `* unknown command ${line.split(" ")[0]}`);
      else broadcast(`<${me.nick}> ${line}`, me);
    }
  } finally {
    clients.delete(me);
    broadcast(`* ${me.nick} left`, null);
    me.leaving = true;
    copas.wakeup(me.writer);
  }
}

const [server, err] = await socket.bind(host, port);
if (server === null) {
  console.error(`chat server: cannot listen on ${host}:${port}: ${err}`);
  process.exit(1);
}
// The writer threads close the client sockets, after their last line.
copas.autoclose = false;
copas.addserver(server, copas.handler(chatHandler));
const [ip, p] = server.getsockname();
console.log(`chat server listening on ${ip}:${p}`);
console.log(`try it: nc ${ip} ${p}   (from several terminals; /nick NAME, /quit)`);
await copas.loop();
console.log("chat server: done");
