// The oracle's deterministic scenarios. Each runs on Lua Copas and on the port (harness.ts);
// the order of events is fixed by the peer's acknowledgements and by timers far enough apart
// (see differences.ts, rules), never by how fast a machine is.
//
// Conventions: a receive that may wait for data that is not coming has a socket timeout set
// (0.1 s: Copas fires it within 0.1-0.2 s); timers that compete are 0.2 s or more apart.

import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Scenario, Step } from "./scenario.js";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../spec/fixtures");
/** LuaSec client parameters: no verification, and verified against the test root. */
const TLS = { mode: "client", protocol: "any", verify: "none" };
const TLS_VERIFIED = { mode: "client", protocol: "any", verify: "peer", cafile: path.join(FIXTURES, "rootA.pem") };

const TO = { op: "settimeout", t: 0.1 };

/** 92 KB of text: more than the port's send buffer (64 KiB) and a loopback socket's window. */
const BIG = { rep: "0123456789abcdefghijklmnopqrstuvwxyz\n", n: 2500 };

const T = (id: string, steps: Step[], name?: string): Step => ({ op: "spawn", id, ...(name ? { name } : {}), steps });

const socketScenarios: Scenario[] = [
  {
    name: "socket/line-pattern",
    socket: "client",
    steps: [
      { op: "peer_send", data: "hello\r\nworld\nrest" },
      { op: "receive" },
      { op: "receive", pattern: "*l" },
      TO,
      { op: "receive", pattern: "*l", prefix: "pre:" },
      { op: "peer_send", data: "\r\r\nx\ry\n" },
      { op: "receive", pattern: "*l" },
      { op: "receive", pattern: "*l" },
      { op: "peer_shutdown" },
      { op: "receive", pattern: "*l" },
      { op: "receive", pattern: "*l", prefix: "p" },
    ],
  },
  {
    name: "socket/line-then-close-mid-line",
    socket: "client",
    steps: [TO, { op: "peer_send", data: "one\ntwo" }, { op: "peer_close" }, { op: "receive" }, { op: "receive" }, { op: "receive" }],
  },
  {
    name: "socket/all-pattern",
    socket: "client",
    steps: [
      TO,
      { op: "peer_send", data: "abc\ndef\n" },
      { op: "peer_shutdown" },
      { op: "receive", pattern: "*a" },
      { op: "receive", pattern: "*a" },
      { op: "receive", pattern: "*a", prefix: "pre" },
    ],
  },
  {
    name: "socket/all-pattern-timeout",
    socket: "client",
    steps: [TO, { op: "peer_send", data: "abc" }, { op: "receive", pattern: "*a" }, { op: "receive", pattern: "*a", prefix: "x" }],
  },
  {
    name: "socket/all-pattern-prefix",
    socket: "client",
    steps: [TO, { op: "peer_send", data: "abc" }, { op: "peer_shutdown" }, { op: "receive", pattern: "*a", prefix: "pre:" }],
  },
  {
    name: "socket/long-pattern-names",
    about: "LuaSocket reads only the first two characters of a pattern (issue 9, item 7)",
    socket: "client",
    steps: [
      TO,
      { op: "peer_send", data: "one\ntwo\nthree" },
      { op: "receive", pattern: "*line" },
      { op: "receive", pattern: "*lxyz" },
      { op: "peer_shutdown" },
      { op: "receive", pattern: "*all" },
    ],
  },
  {
    name: "socket/bad-patterns",
    socket: "client",
    steps: [
      TO,
      { op: "peer_send", data: "one\ntwo\n" },
      { op: "receive", pattern: "x" },
      { op: "receive", pattern: "*x" },
      { op: "receive", pattern: "" },
      { op: "receive", pattern: "l" },
      { op: "receive", pattern: "a" },
    ],
  },
  {
    name: "socket/number-pattern",
    socket: "client",
    steps: [
      TO,
      { op: "peer_send", data: "0123456789" },
      { op: "receive", pattern: 3 },
      { op: "receive", pattern: 5, prefix: "ab" },
      { op: "receive", pattern: 2, prefix: "abc" },
      { op: "receive", pattern: 2, prefix: "ab" },
      { op: "receive", pattern: 10 },
      { op: "receive", pattern: 1 },
    ],
  },
  {
    name: "socket/number-pattern-closed",
    socket: "client",
    steps: [TO, { op: "peer_send", data: "0123" }, { op: "peer_shutdown" }, { op: "receive", pattern: 10 }, { op: "receive", pattern: 1 }, { op: "receive", pattern: 0 }],
  },
  {
    name: "socket/receive-zero",
    about: "receive(0) tries a read first: timeout with no data, closed after the FIN (issue 9, item 6)",
    socket: "client",
    steps: [
      TO,
      { op: "receive", pattern: 0 },
      { op: "receive", pattern: 0, prefix: "pre" },
      { op: "peer_send", data: "ab" },
      { op: "receive", pattern: 0 },
      { op: "receive", pattern: 2 },
      { op: "peer_shutdown" },
      { op: "receive", pattern: 0 },
      { op: "raw_receive", pattern: 0 },
    ],
  },
  {
    name: "socket/receivepartial",
    socket: "client",
    steps: [
      TO,
      { op: "peer_send", data: "abc" },
      { op: "receivepartial", pattern: 10 },
      { op: "peer_send", data: "defgh\nij" },
      { op: "receivepartial", pattern: 3 },
      { op: "receivepartial", pattern: "*l" },
      { op: "receivepartial", pattern: "*a", prefix: "x" },
      { op: "receivepartial", pattern: "*l" },
    ],
  },
  {
    name: "socket/send-indexes",
    socket: "client",
    steps: [
      { op: "send", data: "abcdef" },
      { op: "send", data: "abcdef", i: 2 },
      { op: "send", data: "abcdef", i: 2, j: 4 },
      { op: "send", data: "abcdef", i: -2 },
      { op: "send", data: "abcdef", i: -3, j: -2 },
      { op: "send", data: "abcdef", i: 0, j: 2 },
      { op: "send", data: "abcdef", i: 4, j: 2 },
      { op: "send", data: "abcdef", i: 7 },
      { op: "send", data: "abcdef", i: 9 },
      { op: "send", data: "abcdef", j: 10 },
      { op: "send", data: "abcdef", i: -10, j: 1 },
      { op: "send", data: "" },
      { op: "send", data: "", i: 1 },
      { op: "peer_recv", n: 30 },
    ],
  },
  {
    name: "socket/send-after-own-close",
    about: "empty ranges on a closed socket succeed without a system call (issue 9, item 5)",
    socket: "client",
    steps: [
      { op: "close" },
      { op: "send", data: "abc" },
      { op: "send", data: "", i: 1 },
      { op: "send", data: "abc", i: 5 },
      { op: "send", data: "abc", i: 3, j: 2 },
      { op: "raw_send", data: "abc", i: 4 },
      { op: "raw_send", data: "abc" },
      { op: "close" },
    ],
  },
  {
    name: "socket/receive-after-own-close",
    about: "after close(): *l gives partial \"\", a prefix comes back, buffered bytes are served (issue 9, item 4)",
    socket: "client",
    steps: [
      { op: "close" },
      { op: "receive", pattern: "*l" },
      { op: "receive", pattern: 5, prefix: "pre" },
      { op: "receive", pattern: 2, prefix: "abc" },
      { op: "receive", pattern: "*a" },
      { op: "raw_receive", pattern: "*l", prefix: "x" },
    ],
  },
  {
    name: "socket/receive-buffered-after-own-close",
    about: "bytes already buffered by LuaSocket are still served after close (issue 9, item 4)",
    socket: "client",
    steps: [
      TO,
      { op: "peer_send", data: "one\ntwo\nthree\n" },
      { op: "receive", pattern: "*l" },
      { op: "close" },
      { op: "receive", pattern: "*l" },
      { op: "receive", pattern: 3 },
      { op: "receive", pattern: "*l" },
      { op: "receive", pattern: "*l" },
    ],
  },
  {
    name: "socket/peer-closes-then-send",
    about: "the first send after the peer's RST fails (issue 9, item 1)",
    socket: "client",
    steps: [
      TO,
      { op: "peer_close" },
      { op: "receive", pattern: "*l" },
      { op: "send", data: "abc" },
      { op: "send", data: "def" },
      { op: "send", data: "ghi" },
      { op: "receive", pattern: "*l" },
    ],
  },
  {
    name: "socket/peer-closes-then-send-no-read",
    about: "without reading the FIN first (issue 9, item 1)",
    socket: "client",
    steps: [TO, { op: "peer_close" }, { op: "send", data: "abc" }, { op: "send", data: "def" }, { op: "send", data: "ghi" }],
  },
  {
    name: "socket/peer-resets",
    socket: "client",
    steps: [
      TO,
      { op: "peer_send", data: "abc\n" },
      { op: "peer_reset" },
      { op: "receive", pattern: "*l" },
      { op: "receive", pattern: "*l" },
      { op: "send", data: "x" },
      { op: "send", data: "y" },
    ],
  },
  {
    name: "socket/peer-resets-then-send",
    about: "a send after a reset fails at once (issue 9, item 1)",
    socket: "client",
    steps: [TO, { op: "peer_reset" }, { op: "send", data: "abc" }, { op: "send", data: "def" }, { op: "receive", pattern: 2 }],
  },
  {
    name: "socket/shutdown-send",
    about: "after shutdown(\"send\") a send fails and a receive still reads (issue 9, item 2)",
    socket: "client",
    steps: [
      TO,
      { op: "peer_send", data: "abc\n" },
      { op: "shutdown", mode: "send" },
      { op: "send", data: "x" },
      { op: "peer_recvall" },
      { op: "receive", pattern: "*l" },
      { op: "peer_send", data: "more\n" },
      { op: "receive", pattern: "*l" },
    ],
  },
  {
    name: "socket/shutdown-receive",
    about: "queued input is still returned, then closed; no new input (issue 9, item 3)",
    socket: "client",
    steps: [
      TO,
      { op: "peer_send", data: "abc\ndef\n" },
      { op: "shutdown", mode: "receive" },
      { op: "receive", pattern: "*l" },
      { op: "receive", pattern: "*l" },
      { op: "receive", pattern: "*l" },
      { op: "peer_send", data: "new\n" },
      { op: "receive", pattern: "*l" },
      { op: "send", data: "still\n" },
      { op: "peer_recv", n: 6 },
    ],
  },
  {
    name: "socket/shutdown-both",
    about: "shutdown(\"both\"): queued input, then closed, no new input, a big send fails (issue 9, item 3)",
    socket: "client",
    steps: [
      TO,
      { op: "peer_send", data: "abc\n" },
      { op: "shutdown", mode: "both" },
      { op: "receive", pattern: "*l" },
      { op: "receive", pattern: "*l" },
      { op: "peer_send", data: "new\n" },
      { op: "receive", pattern: "*l" },
      { op: "send", data: BIG },
      { op: "peer_recvall" },
    ],
  },
  {
    name: "socket/shutdown-default",
    socket: "client",
    steps: [TO, { op: "shutdown" }, { op: "send", data: "x" }, { op: "receive", pattern: "*l" }, { op: "peer_recvall" }],
  },
  {
    name: "socket/close-then-peer-reads",
    socket: "client",
    steps: [{ op: "send", data: "bye\n" }, { op: "close" }, { op: "peer_recvall" }],
  },
  {
    name: "socket/close-with-unread-input",
    about: "a close with unread input resets the connection (issue 9, item 15): what reaches the peer",
    socket: "client",
    steps: [{ op: "peer_send", data: "unread" }, { op: "send", data: "bye\n" }, { op: "close" }, { op: "peer_recvall" }],
  },
  {
    name: "socket/close-after-reading-all",
    socket: "client",
    steps: [TO, { op: "peer_send", data: "read" }, { op: "receive", pattern: 4 }, { op: "send", data: "bye\n" }, { op: "close" }, { op: "peer_recvall" }],
  },
  {
    name: "socket/big-transfer-in",
    socket: "client",
    steps: [
      { op: "settimeout", t: 5 },
      { op: "peer_send", data: BIG },
      { op: "receive", pattern: 92500 },
      { op: "peer_send", data: BIG },
      { op: "peer_shutdown" },
      { op: "receive", pattern: "*a" },
    ],
  },
  {
    name: "socket/big-transfer-out",
    socket: "client",
    steps: [{ op: "settimeout", t: 5 }, { op: "send", data: BIG }, { op: "peer_recv", n: 92500 }, { op: "send", data: BIG, i: 100, j: -100 }, { op: "peer_recv", n: 92301 }],
  },
  {
    name: "socket/send-timeout-peer-not-reading",
    socket: "client",
    steps: [
      { op: "peer_pause" },
      { op: "settimeout", t: 0.1 },
      { op: "send", data: { rep: "x", n: 16_000_000 }, coarse: true },
      { op: "peer_resume" },
    ],
  },
  {
    name: "socket/raw-ops",
    socket: "client",
    steps: [
      { op: "raw_receive", pattern: "*l" },
      { op: "raw_receive", pattern: 5, prefix: "ab" },
      { op: "raw_send", data: "hello", i: 2, j: 3 },
      { op: "peer_send", data: "line\npart" },
      { op: "raw_receive", pattern: "*l" },
      { op: "raw_receive", pattern: "*l" },
      { op: "raw_receive", pattern: "*a" },
      { op: "peer_recv", n: 2 },
      { op: "raw_close" },
      { op: "raw_receive", pattern: "*l" },
      { op: "raw_send", data: "x" },
    ],
  },
  {
    name: "socket/wrapped",
    socket: "client",
    steps: [
      { op: "settimeout", w: true, t: 0.1 },
      { op: "peer_send", data: "one\ntwo" },
      { op: "receive", w: true },
      { op: "receive", w: true, pattern: 5 },
      { op: "send", w: true, data: "abc", i: 2 },
      { op: "peer_recv", n: 2 },
      { op: "settimeout", w: true, t: 0 },
      { op: "peer_send", data: "xy" },
      { op: "receive", w: true, pattern: 5 },
      { op: "settimeouts", w: true, connect: 1, send: 1, receive: 0.1 },
      { op: "peer_send", data: "z" },
      { op: "receivepartial", w: true, pattern: 5 },
      { op: "receive", w: true, pattern: 5 },
      { op: "shutdown", w: true, mode: "send" },
      { op: "peer_recvall" },
      { op: "close", w: true },
    ],
  },
  {
    name: "socket/settimeout-values",
    socket: "client",
    steps: [
      { op: "settimeout", t: null },
      { op: "settimeout", t: -1 },
      { op: "settimeout", t: 0.1 },
      { op: "receive", pattern: 1 },
      { op: "settimeouts", connect: null, send: null, receive: 0.2 },
      { op: "receive", pattern: 1 },
      { op: "settimeout", t: "x" },
      { op: "settimeouts", connect: "x" },
      { op: "settimeouts", send: "x" },
      { op: "settimeouts", receive: "x" },
    ],
  },
  {
    name: "socket/server-side",
    socket: "server",
    server: "srv",
    steps: [
      TO,
      { op: "getsocketname" },
      { op: "getthreadname" },
      { op: "peer_send", data: "ping\n" },
      { op: "receive" },
      { op: "send", data: "pong\n" },
      { op: "peer_recv", n: 5 },
      { op: "setsocketname", name: "mine" },
      { op: "getsocketname" },
      { op: "peer_shutdown" },
      { op: "receive" },
    ],
  },
  {
    name: "socket/server-side-unnamed",
    socket: "server",
    steps: [TO, { op: "getsocketname" }, { op: "getthreadname" }, { op: "peer_close" }, { op: "receive", pattern: "*a" }],
  },
  {
    name: "socket/options",
    socket: "client",
    steps: [
      { op: "setoption", name: "tcp-nodelay", value: true },
      { op: "setoption", name: "keepalive", value: true },
      { op: "setoption", name: "keepalive", value: false },
      { op: "setoption", name: "reuseaddr", value: true },
    ],
  },
  {
    name: "socket/close-twice",
    socket: "client",
    steps: [{ op: "close" }, { op: "close" }, { op: "shutdown" }],
  },
  {
    name: "socket/reader-woken-by-close",
    about: "a thread waiting on a socket another thread closes gets \"closed\"",
    socket: "client",
    steps: [
      {
        op: "spawn",
        id: "R",
        steps: [{ op: "log", msg: "reading" }, { op: "receive", pattern: "*l" }, { op: "log", msg: "read done" }],
      },
      { op: "pause", s: 0.2 },
      { op: "log", msg: "closing" },
      { op: "close" },
      { op: "pause", s: 0.2 },
    ],
  },
  {
    name: "dispatcher/reader-not-starved",
    about: "a reader whose line arrived runs in the next step while a thread spins on pause(0) (issue 9, item 8)",
    steps: [
      { op: "pair", a: "C", b: "D" },
      T("R", [{ op: "receive", s: "D", pattern: "*l" }, { op: "mark", name: "got", quiet: true }]),
      T("A", [{ op: "spin", send_at: 20, send_s: "C", send_data: "line\n", until: "got", extra: 100, max: 100_000 }, { op: "log", msg: "spinner done" }]),
      { op: "pause", s: 0.5 },
      { op: "markdiff", a: "got", b: "sent", max: 2 },
    ],
  },
  {
    name: "socket/two-readers-fifo",
    about: "two threads waiting on one socket are served in order",
    socket: "client",
    steps: [
      { op: "spawn", id: "A", steps: [{ op: "receive", pattern: 2 }] },
      { op: "spawn", id: "B", steps: [{ op: "receive", pattern: 2 }] },
      { op: "pause", s: 0.2 },
      { op: "peer_send", data: "aabb", quiet: true },
      { op: "pause", s: 0.2 },
    ],
  },
];

const dispatcherScenarios: Scenario[] = [
  {
    name: "dispatcher/addthread-order",
    steps: [
      T("A", [{ op: "log", msg: "A1" }, { op: "pause" }, { op: "log", msg: "A2" }]),
      T("B", [{ op: "log", msg: "B1" }, { op: "pause", s: 0 }, { op: "log", msg: "B2" }]),
      { op: "log", msg: "main after spawn" },
      T("C", [{ op: "log", msg: "C1" }]),
      { op: "pause" },
      { op: "log", msg: "main after pause" },
    ],
  },
  {
    name: "dispatcher/nested-spawn",
    steps: [
      T("A", [T("A1", [{ op: "log", msg: "inner" }]), { op: "log", msg: "outer" }, { op: "pause" }, { op: "log", msg: "outer 2" }]),
      { op: "log", msg: "main" },
    ],
  },
  {
    name: "dispatcher/pause-ordering",
    steps: [
      T("A", [{ op: "pause", s: 0.6 }, { op: "log", msg: "A after 0.6" }]),
      T("B", [{ op: "pause", s: 0.2 }, { op: "log", msg: "B after 0.2" }]),
      T("C", [{ op: "pause", s: 0.4 }, { op: "log", msg: "C after 0.4" }]),
      { op: "pause", s: -1 },
      { op: "log", msg: "main after pause(-1)" },
    ],
  },
  {
    name: "dispatcher/sleep-wakeup",
    steps: [
      T("A", [{ op: "log", msg: "A sleeps" }, { op: "sleep", s: -1 }, { op: "log", msg: "A woken" }]),
      T("B", [{ op: "pause", s: 0.2 }, { op: "log", msg: "B wakes A" }, { op: "wakeup", t: "A" }, { op: "log", msg: "B after wakeup" }]),
      { op: "log", msg: "main done" },
    ],
  },
  {
    name: "dispatcher/wakeup-a-pausing-thread",
    steps: [
      T("A", [{ op: "pause", s: 5 }, { op: "log", msg: "A woken early" }]),
      { op: "pause", s: 0.2 },
      { op: "wakeup", t: "A" },
      { op: "wakeup", t: "A" },
      { op: "log", msg: "main" },
    ],
  },
  {
    name: "dispatcher/wakeup-runnable-thread",
    steps: [T("A", [{ op: "log", msg: "A1" }, { op: "pause" }, { op: "log", msg: "A2" }]), { op: "wakeup", t: "A" }, { op: "pause" }, { op: "log", msg: "main" }],
  },
  {
    name: "dispatcher/pauseforever-not-work",
    about: "a thread paused forever does not keep the loop running",
    steps: [T("A", [{ op: "pauseforever" }, { op: "log", msg: "never" }]), { op: "log", msg: "main" }],
  },
  {
    name: "dispatcher/sleep-negative-woken",
    steps: [T("A", [{ op: "sleep", s: -5 }, { op: "log", msg: "A" }]), { op: "pause", s: 0.2 }, { op: "wakeup", t: "A" }],
  },
  {
    name: "dispatcher/removethread-sleeping",
    steps: [
      T("A", [{ op: "pause", s: 0.4 }, { op: "log", msg: "A never" }]),
      T("B", [{ op: "sleep", s: -1 }, { op: "log", msg: "B never" }]),
      { op: "pause", s: 0.2 },
      { op: "removethread", t: "A" },
      { op: "removethread", t: "B" },
      { op: "wakeup", t: "B" },
      { op: "pause", s: 0.4 },
      { op: "log", msg: "main" },
    ],
  },
  {
    name: "dispatcher/removethread-runnable",
    steps: [T("A", [{ op: "log", msg: "A1" }, { op: "pause" }, { op: "log", msg: "A2 never" }]), { op: "pause" }, { op: "removethread", t: "A" }, { op: "pause" }, { op: "pause" }, { op: "log", msg: "main" }],
  },
  {
    name: "dispatcher/removethread-before-start",
    steps: [T("A", [{ op: "log", msg: "A never" }]), { op: "removethread", t: "A" }, { op: "pause" }, { op: "log", msg: "main" }],
  },
  {
    name: "dispatcher/names",
    steps: [
      { op: "getthreadname" },
      { op: "setthreadname", name: "renamed" },
      { op: "getthreadname" },
      T("A", [{ op: "getthreadname" }], "named-A"),
      T("B", [{ op: "getthreadname" }]),
      { op: "getthreadname", t: "A" },
      { op: "setthreadname", name: "B2", t: "B" },
      { op: "pause" },
      { op: "getthreadname", t: "B" },
    ],
  },
  {
    name: "dispatcher/errors",
    steps: [
      T("A", [{ op: "log", msg: "A" }, { op: "error", msg: "boom" }]),
      T("B", [{ op: "pause" }, { op: "log", msg: "B goes on" }], "thread-B"),
      T("C", [{ op: "error", msg: "bang" }], "thread-C"),
      { op: "pause", s: 0.2 },
      { op: "log", msg: "main goes on" },
    ],
  },
  {
    name: "dispatcher/timeout-callback",
    steps: [
      T("A", [{ op: "timeout", delay: 0.2, cb: [{ op: "log", msg: "in callback" }, { op: "wakeup", t: "A" }] }, { op: "pauseforever" }, { op: "log", msg: "A woken by timeout" }, { op: "timeout", delay: 0 }], "tA"),
      { op: "pause", s: 0.6 },
      { op: "log", msg: "main" },
    ],
  },
  {
    name: "dispatcher/timeout-cancel",
    steps: [
      { op: "timeout", delay: 0.2, cb: [{ op: "log", msg: "never" }] },
      { op: "timeout", delay: 0 },
      { op: "timeout", delay: 0.2, cb: [{ op: "log", msg: "never either" }] },
      { op: "timeout", delay: Infinity },
      { op: "pause", s: 0.5 },
      { op: "timeout", delay: -1 },
    ],
  },
  {
    name: "dispatcher/timeout-after-thread-end",
    about: "Copas leaves a thread's timeout armed after the thread ends; the port cancels it",
    steps: [T("A", [{ op: "timeout", delay: 0.2 }], "tA"), { op: "pause", s: 0.5 }, { op: "log", msg: "main" }],
  },
  {
    name: "dispatcher/exit",
    steps: [
      T("A", [{ op: "exiting" }, { op: "waitforexit" }, { op: "log", msg: "A after exit" }, { op: "exiting" }]),
      T("B", [{ op: "waitforexit" }, { op: "log", msg: "B after exit" }]),
      { op: "pause", s: 0.2 },
      { op: "exit" },
      { op: "exiting" },
      { op: "log", msg: "main after exit" },
      { op: "exit" },
    ],
  },
  {
    name: "dispatcher/waitforexit-at-loop-end",
    about: "the loop calls exit() once nothing else is left",
    steps: [T("A", [{ op: "waitforexit" }, { op: "log", msg: "A at exit" }, { op: "pause", s: 0.2 }, { op: "log", msg: "A done" }]), { op: "log", msg: "main" }],
  },
];

const W = (msg: string): Step => ({ op: "log", msg });

const syncScenarios: Scenario[] = [
  {
    name: "lock/basics",
    steps: [
      { op: "lock_new", id: "L" },
      { op: "lock_get", id: "L" },
      { op: "lock_get", id: "L" },
      { op: "lock_release", id: "L" },
      { op: "lock_release", id: "L" },
      { op: "lock_release", id: "L" },
      { op: "lock_new", id: "N", timeout: 0.2, notReentrant: true },
      { op: "lock_get", id: "N" },
      { op: "lock_get", id: "N", timeout: 0 },
      { op: "lock_get", id: "N" },
      { op: "lock_release", id: "N" },
      { op: "lock_destroy", id: "N" },
      { op: "lock_get", id: "N" },
      { op: "lock_release", id: "N" },
      { op: "lock_destroy", id: "N" },
    ],
  },
  {
    name: "lock/queue-order-and-destroy",
    steps: [
      { op: "lock_new", id: "L", timeout: 5 },
      { op: "lock_get", id: "L" },
      T("A", [W("A waits"), { op: "lock_get", id: "L" }, W("A has it"), { op: "lock_release", id: "L" }]),
      T("B", [W("B waits"), { op: "lock_get", id: "L" }, W("B has it"), { op: "lock_release", id: "L" }]),
      T("C", [{ op: "lock_get", id: "L", timeout: 0.2 }, W("C gave up")]),
      { op: "pause", s: 0.5 },
      { op: "lock_release", id: "L" },
      { op: "pause", s: 0.2 },
      { op: "lock_get", id: "L" },
      T("D", [W("D waits"), { op: "lock_get", id: "L" }, W("D after destroy")]),
      { op: "pause", s: 0.2 },
      { op: "lock_destroy", id: "L" },
      { op: "pause", s: 0.2 },
      { op: "lock_release", id: "L" },
    ],
  },
  {
    name: "lock/release-by-other",
    steps: [{ op: "lock_new", id: "L" }, { op: "lock_get", id: "L" }, T("A", [{ op: "lock_release", id: "L" }]), { op: "pause" }, { op: "pause" }],
  },
  {
    name: "semaphore/basics",
    steps: [
      { op: "sem_new", id: "S", max: 3, start: 1 },
      { op: "sem_count", id: "S" },
      { op: "sem_take", id: "S" },
      { op: "sem_take", id: "S", n: 1, timeout: 0 },
      { op: "sem_take", id: "S", n: 4 },
      { op: "sem_give", id: "S", n: 2 },
      { op: "sem_count", id: "S" },
      { op: "sem_give", id: "S", n: 5 },
      { op: "sem_count", id: "S" },
      { op: "sem_wait", id: "S" },
      { op: "sem_take", id: "S", n: 3 },
      { op: "sem_take", id: "S", n: 1, timeout: 0.2 },
      { op: "sem_destroy", id: "S" },
      { op: "sem_take", id: "S" },
      { op: "sem_give", id: "S" },
      { op: "sem_count", id: "S" },
      { op: "sem_destroy", id: "S" },
    ],
  },
  {
    name: "semaphore/waiters",
    steps: [
      { op: "sem_new", id: "S", max: 5, start: 0, timeout: 5 },
      T("A", [{ op: "sem_take", id: "S", n: 2 }, W("A took 2")]),
      T("B", [{ op: "sem_take", id: "S", n: 1 }, W("B took 1")]),
      T("C", [{ op: "sem_take", id: "S", n: 3, timeout: 0.2 }, W("C done")]),
      { op: "pause", s: 0.1 },
      { op: "sem_wait", id: "S" },
      { op: "sem_give", id: "S", n: 1 },
      { op: "pause" },
      { op: "sem_give", id: "S", n: 1 },
      { op: "pause" },
      { op: "sem_count", id: "S" },
      { op: "pause", s: 0.4 },
      { op: "sem_wait", id: "S" },
      { op: "sem_give", id: "S", n: 1 },
      { op: "pause" },
      T("D", [{ op: "sem_take", id: "S", n: 5 }, W("D after destroy")]),
      { op: "pause", s: 0.1 },
      { op: "sem_destroy", id: "S" },
      { op: "pause" },
    ],
  },
  {
    name: "queue/basics",
    steps: [
      { op: "queue_new", id: "Q" },
      { op: "queue_new", id: "Q2", name: "jobs" },
      { op: "queue_push", id: "Q", item: "a" },
      { op: "queue_push", id: "Q", item: 2 },
      { op: "queue_size", id: "Q" },
      { op: "queue_pop", id: "Q" },
      { op: "queue_pop", id: "Q" },
      { op: "queue_pop", id: "Q", timeout: 0 },
      { op: "queue_pop", id: "Q", timeout: 0.2 },
      { op: "queue_push", id: "Q", item: "c" },
      { op: "queue_stop", id: "Q" },
      { op: "queue_push", id: "Q", item: "d" },
      { op: "queue_size", id: "Q" },
      { op: "queue_pop", id: "Q" },
      { op: "queue_pop", id: "Q" },
      { op: "queue_push", id: "Q", item: "e" },
      { op: "queue_size", id: "Q" },
      { op: "queue_destroy", id: "Q" },
      { op: "queue_destroy", id: "Q2" },
      { op: "queue_workers", id: "Q2" },
    ],
  },
  {
    name: "queue/workers-and-finish",
    about: "finish() returns after the last worker finished its last item and exited (issue 9, item 9)",
    steps: [
      { op: "queue_new", id: "Q", name: "work" },
      { op: "queue_add_worker", id: "Q", worker: [{ op: "log", msg: "start $item" }, { op: "pause", s: 0.2 }, { op: "log", msg: "end $item" }] },
      { op: "queue_add_worker", id: "Q", worker: [{ op: "log", msg: "start $item" }, { op: "pause", s: 0.3 }, { op: "log", msg: "end $item" }] },
      { op: "queue_workers", id: "Q" },
      { op: "queue_push", id: "Q", item: "a" },
      { op: "queue_push", id: "Q", item: "b" },
      { op: "queue_push", id: "Q", item: "c" },
      { op: "queue_finish", id: "Q", timeout: 5 },
      { op: "log", msg: "finished" },
      { op: "queue_workers", id: "Q" },
      { op: "queue_push", id: "Q", item: "z" },
    ],
  },
  {
    name: "queue/two-finishers",
    about: "two threads in finish(): both return once the worker is out",
    steps: [
      { op: "queue_new", id: "Q" },
      { op: "queue_push", id: "Q", item: 1 },
      T("O", [{ op: "queue_finish", id: "Q", timeout: 5 }, W("other finished")]),
      { op: "pause" },
      { op: "queue_add_worker", id: "Q", worker: [{ op: "pause", s: 0.3 }, W("worker done")] },
      { op: "queue_finish", id: "Q", timeout: 5 },
      W("main finished"),
    ],
  },
  {
    name: "queue/finish-timeout",
    steps: [
      { op: "queue_new", id: "Q" },
      { op: "queue_add_worker", id: "Q", worker: [{ op: "pause", s: 0.6 }, { op: "log", msg: "end $item" }] },
      { op: "queue_push", id: "Q", item: "a" },
      { op: "queue_push", id: "Q", item: "b" },
      { op: "queue_finish", id: "Q", timeout: 0.3 },
      { op: "queue_size", id: "Q" },
      { op: "pause", s: 0.6 },
    ],
  },
  {
    name: "queue/finish-empty-and-twice",
    steps: [
      { op: "queue_new", id: "Q" },
      { op: "queue_finish", id: "Q" },
      { op: "queue_finish", id: "Q" },
      { op: "queue_new", id: "R" },
      { op: "queue_add_worker", id: "R", worker: [{ op: "log", msg: "item $item" }] },
      { op: "queue_push", id: "R", item: 1 },
      { op: "queue_finish", id: "R", timeout: 1 },
      { op: "log", msg: "finished" },
    ],
  },
  {
    name: "queue/worker-error",
    steps: [
      { op: "queue_new", id: "Q", name: "errq" },
      { op: "queue_add_worker", id: "Q", worker: [{ op: "log", msg: "got $item" }, { op: "error", msg: "worker failed" }] },
      { op: "queue_push", id: "Q", item: "a" },
      { op: "queue_push", id: "Q", item: "b" },
      { op: "pause", s: 0.2 },
      { op: "queue_size", id: "Q" },
      { op: "queue_workers", id: "Q" },
      { op: "queue_destroy", id: "Q" },
    ],
  },
  {
    name: "future/basics",
    steps: [
      { op: "future_new", id: "F", steps: [{ op: "pause", s: 0.2 }, W("F done")], ret: 42 },
      { op: "future_try", id: "F" },
      { op: "future_get", id: "F" },
      { op: "future_try", id: "F" },
      { op: "future_get", id: "F" },
      { op: "future_cancel", id: "F" },
      { op: "future_new", id: "E", steps: [{ op: "error", msg: "future failed" }] },
      { op: "future_get", id: "E" },
      { op: "future_try", id: "E" },
      { op: "future_new", id: "C", name: "cancelled-one", steps: [{ op: "pause", s: 0.5 }, W("C never")] },
      T("G", [{ op: "future_get", id: "C" }, W("G after cancel")]),
      { op: "pause", s: 0.1 },
      { op: "future_cancel", id: "C" },
      { op: "future_cancel", id: "C" },
      { op: "future_try", id: "C" },
      { op: "pause", s: 0.6 },
    ],
  },
  {
    name: "timer/once-and-recurring",
    steps: [
      { op: "timer_new", id: "T1", name: "once", delay: 0.2, cb: [W("once fired")] },
      { op: "timer_new", id: "T2", name: "rec", delay: 0.3, recurring: true, initial_delay: 0.1, params: "p", cb: [W("rec fired")] },
      { op: "pause", s: 0.85 },
      { op: "timer_cancel", id: "T2" },
      { op: "timer_cancel", id: "T2" },
      { op: "timer_cancel", id: "T1" },
      { op: "timer_arm", id: "T1" },
      { op: "timer_arm", id: "T1" },
      { op: "pause", s: 0.3 },
      { op: "timer_arm", id: "T1", delay: 0 },
      { op: "pause" },
      { op: "pause" },
    ],
  },
  {
    name: "timer/error-in-callback",
    steps: [{ op: "timer_new", id: "T", name: "bad", delay: 0.1, cb: [{ op: "error", msg: "timer failed" }] }, { op: "pause", s: 0.4 }, { op: "log", msg: "main" }],
  },
];

const FN = "$fn";

/** Copas's asserts and argument errors: texts (issue 9, item 12). */
const errorScenarios: Scenario[] = [
  {
    name: "errors/dispatcher-asserts",
    socket: "client",
    steps: [
      { op: "call", fn: "seterrorhandler", args: [42] },
      { op: "call", fn: "seterrorhandler", args: [null, true] },
      { op: "call", fn: "setthreadname", args: [42] },
      { op: "call", fn: "setthreadname", args: ["x", 42] },
      { op: "call", fn: "getthreadname", args: [42] },
      { op: "call", fn: "setsocketname", args: [42, "$S"] },
      { op: "call", fn: "setsocketname", args: ["x", null] },
      { op: "call", fn: "getsocketname", args: [null] },
      { op: "call", fn: "timeout", args: [-1] },
      { op: "call", fn: "timeout", args: [-0.5, FN] },
    ],
  },
  {
    name: "errors/module-asserts",
    steps: [
      { op: "call", fn: "semaphore.new", args: [0] },
      { op: "call", fn: "semaphore.new", args: ["x"] },
      { op: "call", fn: "semaphore.new", args: [3, 0, -1] },
      { op: "call", fn: "lock.new", args: [-1] },
      { op: "call", fn: "timer.new", args: [{ delay: -1, callback: FN }] },
      { op: "call", fn: "timer.new", args: [{ callback: FN }] },
      { op: "call", fn: "timer.new", args: [{ delay: 1, callback: 42 }] },
      { op: "call", fn: "timer.arm", args: [-1] },
      { op: "call", fn: "queue.add_worker", args: [42] },
    ],
  },
];

const RESP_OK = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Custom: yes\r\n\r\nhello";
const RESP_CHUNKED =
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";

const clientScenarios: Scenario[] = [
  {
    name: "http/get",
    steps: [{ op: "http_serve", responses: [RESP_OK] }, { op: "http_request", url: "http://$HTTP/path?q=1" }, { op: "peer_log" }],
  },
  {
    name: "http/post-body",
    steps: [
      { op: "http_serve", responses: ["HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"] },
      { op: "http_request", url: "http://$HTTP/submit", body: "a=1&b=2" },
      { op: "peer_log" },
    ],
  },
  {
    name: "http/chunked-trailers",
    about: "LuaSocket drops the trailers of a chunked body (issue 9, item 14)",
    steps: [{ op: "http_serve", responses: [RESP_CHUNKED] }, { op: "http_request", url: "http://$HTTP/" }, { op: "peer_log" }],
  },
  {
    name: "http/until-close-and-404",
    steps: [
      { op: "http_serve", responses: ["HTTP/1.0 404 Not Found\r\nX-Why: gone\r\n\r\nnot here", "HTTP/1.1 204 No Content\r\n\r\n"] },
      { op: "http_request", url: "http://$HTTP/missing" },
      { op: "http_request", url: "http://$HTTP/empty" },
      { op: "peer_log" },
    ],
  },
  {
    name: "http/redirect",
    steps: [
      { op: "http_serve", responses: ["HTTP/1.1 302 Found\r\nLocation: /other\r\nContent-Length: 0\r\n\r\n", RESP_OK] },
      { op: "http_request", url: "http://$HTTP/first" },
      { op: "peer_log" },
    ],
  },
  {
    name: "http/params-sink-source",
    steps: [
      { op: "http_serve", responses: [RESP_OK] },
      {
        op: "http_request",
        params: { url: "http://$HTTP/up", method: "PUT", headers: { "content-length": "4", "x-mine": "v" }, source: "data", sink: "table" },
      },
      { op: "peer_log" },
    ],
  },
  {
    name: "http/bad-response",
    steps: [
      { op: "http_serve", responses: ["garbage\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"] },
      { op: "http_request", url: "http://$HTTP/a" },
      { op: "http_request", url: "http://$HTTP/b" },
    ],
  },
  {
    name: "http/huge-header",
    about: "the port bounds a response's header block at 64 KiB; LuaSocket does not",
    steps: [
      {
        op: "http_serve",
        responses: [
          `HTTP/1.1 200 OK\r\nX-Big: ${"b".repeat(70_000)}\r\nContent-Length: 2\r\n\r\nok`,
          `HTTP/1.1 200 OK\r\n${Array.from({ length: 30 }, (_, k) => `X-H${k}: ${"h".repeat(3000)}\r\n`).join("")}Content-Length: 2\r\n\r\nok`,
          RESP_OK,
        ],
      },
      { op: "http_request", url: "http://$HTTP/big" },
      { op: "http_request", url: "http://$HTTP/many" },
      { op: "http_request", url: "http://$HTTP/small" },
    ],
  },
  {
    name: "http/post-source-no-length",
    about: "a body from a source without content-length",
    steps: [
      { op: "http_serve", responses: [RESP_OK] },
      { op: "http_request", params: { url: "http://$HTTP/up", method: "POST", source: "streamed body", sink: "table" } },
      { op: "peer_log" },
    ],
  },
  {
    name: "http/connection-refused",
    steps: [{ op: "http_request", url: "http://127.0.0.1:1/" }],
  },
  {
    name: "smtp/send",
    about: "header names as LuaSocket writes them: From:, MIME-Version:, Content-Type: (issue 9, item 14)",
    steps: [
      { op: "smtp_serve" },
      {
        op: "smtp_send",
        from: "<a@example.com>",
        rcpt: ["<b@example.com>", "<c@example.com>"],
        message: { headers: { from: "A <a@example.com>", to: "B <b@example.com>", subject: "hi", date: "Thu, 1 Jan 2026 00:00:00 +0000" }, body: "line one\r\n.dot line\r\n" },
      },
      { op: "peer_log" },
    ],
  },
  {
    name: "smtp/multipart",
    steps: [
      { op: "smtp_serve" },
      {
        op: "smtp_send",
        from: "<a@example.com>",
        rcpt: "<b@example.com>",
        message: {
          headers: { subject: "parts", date: "Thu, 1 Jan 2026 00:00:00 +0000", "x-mailer": "oracle" },
          body: [
            { headers: { "content-type": "text/plain" }, body: "first" },
            { body: "second" },
          ],
        },
      },
      { op: "peer_log" },
    ],
  },
  {
    name: "smtp/rejected",
    steps: [
      { op: "smtp_serve", replies: ["554 rejected"] },
      { op: "smtp_send", from: "<a@example.com>", rcpt: "<b@example.com>", message: { headers: { date: "x" }, body: "b" } },
      { op: "peer_log" },
    ],
  },
  {
    name: "ftp/string-form",
    about: "Copas 4.11's copas.ftp.get(url)/put(url, body) raise; the port's work",
    steps: [
      { op: "ftp_serve", files: ["file.txt\u0000contents\r\nof the file\n"] },
      { op: "ftp_get", url: "ftp://user:secret@$FTP/file.txt;type=i" },
      { op: "ftp_put", url: "ftp://user:secret@$FTP/up.txt", data: "uploaded" },
      { op: "ftp_get", url: "ftp://$FTP/missing.txt" },
    ],
  },
  {
    name: "ftp/table-form",
    steps: [
      { op: "ftp_serve", files: ["file.txt\u0000contents\r\nof the file\n"] },
      { op: "ftp_get", params: { path: "/file.txt", user: "user", password: "secret", type: "i" } },
      { op: "ftp_put", params: { path: "/up.txt", user: "user", password: "secret" }, data: "uploaded" },
      { op: "ftp_get", params: { path: "/missing.txt" } },
      { op: "peer_log" },
    ],
  },
];

const udpScenarios: Scenario[] = [
  {
    name: "udp/sendto-and-receive",
    about: "send/sendto results padded as the contract says; datagrams both ways (issue 9, item 10)",
    steps: [
      { op: "peer_udp" },
      { op: "udp_new" },
      { op: "settimeout", s: "U", t: 0.2 },
      { op: "udp_sendto", data: "one" },
      { op: "udp_sendto", data: "" },
      { op: "peer_udprecv", n: 2 },
      { op: "peer_udpsend", data: "reply" },
      { op: "udp_receive", size: 100 },
      { op: "peer_udpsend", data: "again and again" },
      { op: "udp_receivefrom", size: 5 },
      { op: "udp_receive", size: 100 },
      { op: "udp_close" },
    ],
  },
  {
    name: "udp/connected",
    steps: [
      { op: "peer_udp" },
      { op: "udp_new" },
      { op: "settimeout", s: "U", t: 0.2 },
      { op: "udp_setpeername" },
      { op: "udp_send", data: "hello" },
      { op: "peer_udprecv", n: 1 },
      { op: "peer_udpsend", data: "back" },
      { op: "udp_receive", size: 100 },
      { op: "udp_close" },
    ],
  },
  {
    name: "udp/sendto-then-close",
    about: "close() must not drop datagrams sendto accepted (issue 9, item 10)",
    steps: [
      { op: "peer_udp" },
      { op: "udp_new" },
      { op: "udp_sendto", data: "first" },
      { op: "udp_sendto", data: "last" },
      { op: "udp_close" },
      { op: "peer_udprecv", n: 2 },
    ],
  },
];

const tlsScenarios: Scenario[] = [
  {
    name: "tls/echo",
    socket: "client",
    tls: TLS,
    steps: [
      TO,
      { op: "send", data: "hello\n" },
      { op: "peer_recv", n: 6 },
      { op: "peer_send", data: "line\npartial" },
      { op: "receive", pattern: "*l" },
      { op: "receive", pattern: 10 },
      { op: "peer_shutdown" },
      { op: "receive", pattern: "*l" },
    ],
  },
  {
    name: "tls/verified",
    socket: "client",
    tls: TLS_VERIFIED,
    steps: [{ op: "send", data: "x" }, { op: "peer_recv", n: 1 }],
  },
  {
    name: "tls/server-closes-while-client-sends",
    about: "the client's sends fail with \"closed\" once the server closed, as on plain TCP (issue 9, item 11)",
    socket: "client",
    tls: TLS,
    steps: [
      { op: "settimeout", t: 10 },
      // the peer reads nothing: the writer fills every buffer and waits; then the peer closes
      // with unread input (a reset) while the writer is still sending
      { op: "peer_pause", quiet: true },
      { op: "spawn", id: "W", steps: [{ op: "send", data: { rep: "x", n: 16_000_000 }, coarse: true }, { op: "send", data: "more", coarse: true }] },
      { op: "pause", s: 0.5 },
      { op: "peer_close", quiet: true },
      { op: "pause", s: 1 },
      { op: "log", msg: "main done" },
    ],
  },
  {
    name: "socket/server-closes-while-client-sends",
    about: "the plain TCP twin of tls/server-closes-while-client-sends",
    socket: "client",
    steps: [
      { op: "settimeout", t: 10 },
      // the peer reads nothing: the writer fills every buffer and waits; then the peer closes
      // with unread input (a reset) while the writer is still sending
      { op: "peer_pause", quiet: true },
      { op: "spawn", id: "W", steps: [{ op: "send", data: { rep: "x", n: 16_000_000 }, coarse: true }, { op: "send", data: "more", coarse: true }] },
      { op: "pause", s: 0.5 },
      { op: "peer_close", quiet: true },
      { op: "pause", s: 1 },
      { op: "log", msg: "main done" },
    ],
  },
];

export const SCENARIOS: Scenario[] = [...socketScenarios, ...dispatcherScenarios, ...syncScenarios, ...errorScenarios, ...clientScenarios, ...udpScenarios, ...tlsScenarios];
