// Symbols shared across folders (so no folder imports another's internals for them).

/** The key under which a debug socket (copas.debug.socket) gives its original socket. */
export const DEBUG_ORIGINAL: unique symbol = Symbol("copas.debug original socket");
