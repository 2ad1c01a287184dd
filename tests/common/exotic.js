// Hostile and odd JavaScript values for the input-hardening suite (tests/input.rs),
// built here because Rust cannot make most of them: holes, Proxies, getters,
// BigInts, cycles, Symbols, Date and Uint8Array subclasses. Also `settle`, which
// calls a method the way a web page does and reports how the call ended, so a
// synchronous throw or a promise that never settles is an answer, not a hang.

// A Proxy whose every trap throws: get, has, ownKeys, getPrototypeOf, ...
function everythingThrows(target) {
  const handler = new Proxy({}, {
    get: (_, trap) => () => { throw new Error(`trap ${String(trap)} threw`); },
  });
  return new Proxy(target, handler);
}

function revoked(target) {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

const builders = {
  // One item whose JSON is 17 million characters, over the per-item budget.
  oversizedItem: () => [{ id: "big", subject: "x".repeat(17_000_000) }],
  // Four items of about 16.7 million characters of JSON each, under the per-item
  // character limit, made of nested one-entry objects: parsed, about 83 bytes of
  // WebAssembly memory per character (the second review's memory bomb).
  nestedBomb: () => {
    let e = 0;
    for (let i = 0; i < 100; i++) e = { "": e };
    const x = new Array(33400).fill(e);
    return [0, 1, 2, 3].map((i) => ({ id: `bomb${i}`, x }));
  },
  // An id of 100,000 characters.
  longId: () => "i".repeat(100_000),
  // 2^32 - 1 holes: the longest array JavaScript allows, allocated lazily.
  huge: () => new Array(2 ** 32 - 1),
  sparse: () => new Array(3),
  leadingHole: () => [, { id: "x" }], // eslint-disable-line no-sparse-arrays
  // A real array whose element 1 is a throwing getter.
  throwingElement: () => {
    const array = [{ id: "a" }];
    Object.defineProperty(array, 1, { get() { throw new Error("element getter"); }, enumerable: true });
    return array;
  },
  // Arrays cannot redefine `length`; a Proxy around one can make reading it throw.
  throwingLength: () => new Proxy([], {
    get(target, key, receiver) {
      if (key === "length") throw new Error("length getter");
      return Reflect.get(target, key, receiver);
    },
  }),
  throwingArray: () => everythingThrows([]),
  throwingObject: () => everythingThrows({}),
  revokedArray: () => revoked([]),
  revokedObject: () => revoked({}),
  throwingToJSON: () => ({ id: "x", toJSON() { throw new Error("toJSON"); } }),
  bigint: () => ({ id: "x", size: 10n }),
  cyclic: () => {
    const item = { id: "x" };
    item.self = item;
    return item;
  },
  symbol: () => Symbol("exotic"),
  // 100,000 levels: deeper than any JSON serialiser's stack.
  deep: () => {
    let value = { id: "leaf" };
    for (let i = 0; i < 100_000; i++) value = { id: `level-${i}`, child: value };
    return value;
  },
  throwingToString: () => ({
    toString() { throw new Error("toString"); },
    valueOf() { throw new Error("valueOf"); },
    [Symbol.toPrimitive]() { throw new Error("toPrimitive"); },
  }),
  // `instanceof Date` holds, but Date.prototype.getTime refuses a Proxy as `this`.
  dateProxy: () => new Proxy(new Date("2024-06-03T00:00:00Z"), {}),
  // A real Date whose own methods throw; its time value is still readable.
  dateSubclass: () => {
    class Sneaky extends Date {
      getTime() { throw new Error("getTime"); }
      valueOf() { throw new Error("valueOf"); }
    }
    return new Sneaky("2024-06-03T00:00:00Z");
  },
  keyProxy: () => new Proxy(new Uint8Array(32), {}),
  // A real Uint8Array of 16 bytes whose `length` getter throws.
  keySubclass: () => {
    class Sneaky extends Uint8Array {
      get length() { throw new Error("length getter"); }
    }
    return new Sneaky(16);
  },
  // Borrows Uint8Array.prototype without being a typed array; its iterator never ends.
  keyImpostor: () => {
    const impostor = Object.create(Uint8Array.prototype);
    impostor[Symbol.iterator] = function* () { for (;;) yield 1; };
    return impostor;
  },
  // An array Proxy that reports its true length once, then 2**32 - 1: a
  // JSON.stringify of the Proxy itself would walk four billion elements.
  lyingLength: () => {
    let reads = 0;
    const items = [{ id: "lying-1", subject: "a" }, { id: "lying-2", subject: "b" }];
    return new Proxy(items, {
      get(target, name, receiver) {
        if (name === "length") return reads++ === 0 ? target.length : 2 ** 32 - 1;
        return Reflect.get(target, name, receiver);
      },
    });
  },
};

/** A fresh exotic value by name (see `builders`). */
export function exotic(name) {
  const build = builders[name];
  if (!build) throw new Error(`no exotic value named ${name}`);
  return build();
}

/** `new Array(length)`: `length` holes. */
export function holes(length) {
  return new Array(length);
}

/** A copy of `base` whose property `name` is a getter that throws. */
export function throwingGetter(base, name) {
  const object = { ...base };
  Object.defineProperty(object, name, { get() { throw new Error(`getter ${name}`); }, enumerable: true });
  return object;
}

function describe(outcome, error) {
  let message;
  try { message = String(error && error.message); } catch { message = "(unprintable)"; }
  return {
    outcome,
    code: error && typeof error === "object" ? String(error.code) : null,
    field: error && typeof error === "object" ? error.field ?? null : null,
    index: error && typeof error === "object" ? error.index ?? null : null,
    message,
  };
}

/**
 * Calls `target[method](...args)` and resolves to how it ended: `{ outcome }` is
 * "threw" (synchronously), "returned" (a non-promise), "resolved", "rejected",
 * or "pending" if the promise had not settled after `timeoutMs`; a thrown or
 * rejected error adds its `code`, `field`, `index` and `message`.
 */
export async function settle(target, method, args, timeoutMs) {
  let result;
  try {
    result = target[method](...args);
  } catch (error) {
    return describe("threw", error);
  }
  if (!(result instanceof Promise)) return { outcome: "returned", value: result };
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ outcome: "pending" }), timeoutMs);
  });
  const settled = result.then(
    (value) => ({ outcome: "resolved", value }),
    (error) => describe("rejected", error),
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
