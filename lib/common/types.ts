/**
 * A copas operation: a generator that runs on a copas thread and returns `T`.
 * Run it with `yield*` for full typing:
 *
 * ```ts
 * const [line, err] = yield* copas.receive(skt);
 * ```
 */
export type Op<T> = Generator<unknown, T, unknown>;

/** Data as Lua strings: one char per byte (`latin1`), or raw bytes. */
export type Data = string | Uint8Array;

/** What `receive` gives: `[data, null, null]` or `[null, err, partial]`. */
export type ReceiveResult<D = string> = [D, null, null] | [null, string, D | null];

/** What `send` gives: `[lastIndex, null, null]` or `[null, err, lastIndex]`. */
export type SendResult = [number, null, null] | [null, string, number];

/** `[1, null]` on success, `[null, err]` on failure (LuaSocket's `1` or `nil, err`). */
export type OkResult = [1, null] | [null, string];

/**
 * A receive pattern: `"*l"`/`"l"` (a line), `"*a"`/`"a"` (until closed) or a byte count. As
 * LuaSocket, only the first two characters count, so `"*line"` and `"*all"` are patterns too.
 */
export type Pattern = "*l" | "l" | "*a" | "a" | `*l${string}` | `*a${string}` | number;

/** A thread body: a generator function (or a plain function) taking the handler's arguments. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- by default any handler, whatever its parameters (unknown[] would refuse typed ones)
export type ThreadFn<A extends unknown[] = any[]> = (...args: A) => unknown;
