// The page's side of the worker protocol (worker/mailbox.worker.js): each call
// gets an id and a promise; the worker's answer settles it, its errors are
// rebuilt as Errors carrying the library's fields (`code`, `field`, `index`, ...),
// progress reports go to the call's `onProgress`, and the mailbox's events
// (`change`, `leaderchange`, `close`) are dispatched on the returned object.

/** An Error with the fields the worker sent (name, message, code, field, index, ...). */
function rebuild(plain) {
  return Object.assign(new Error(plain.message), plain);
}

/**
 * Starts the worker at `url`; resolves once its WebAssembly is ready to
 * `{ call, mailbox, state, addEventListener, removeEventListener }`.
 * `mailbox` is a proxy: `mailbox.listMessages(a, b)` is `call("listMessages", [a, b])`.
 */
export function connect(url) {
  const worker = new Worker(url, { type: "module" });
  const events = new EventTarget();
  const pending = new Map();
  let next = 1;
  let state = { offlineEnabled: false, isLeader: false, epoch: null };

  const ready = new Promise((resolve, reject) => {
    worker.addEventListener("message", ({ data }) => {
      if (data.state) state = data.state;
      if (data.event === "ready") return resolve();
      if (data.event === "failed") return reject(rebuild(data.detail));
      if (data.event) return events.dispatchEvent(new CustomEvent(data.event, { detail: data.detail }));
      const entry = pending.get(data.id);
      if (!entry) return;
      if ("progress" in data) return entry.onProgress?.(data.progress);
      pending.delete(data.id);
      if (data.error) entry.reject(rebuild(data.error));
      else entry.resolve(data.result);
    });
    // A worker that failed to load (or crashed) answers nothing more: fail every waiting call.
    worker.addEventListener("error", (event) => {
      const error = Object.assign(new Error(event.message || "the mailbox worker failed"), { code: "Closed" });
      reject(error);
      for (const entry of pending.values()) entry.reject(error);
      pending.clear();
    });
  });

  /** Calls `method` with `args` in the worker; `signal` aborts it (sync only), `onProgress` hears its reports. */
  function call(method, args = [], { onProgress, signal } = {}) {
    const id = next++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, onProgress });
      signal?.addEventListener("abort", () => worker.postMessage({ abort: id }), { once: true });
      worker.postMessage({ id, method, args });
    });
  }

  // Not a thenable: `then` is no mailbox method, so the proxy can be returned from async code.
  const mailbox = new Proxy({}, { get: (_, method) => (method === "then" ? undefined : (...args) => call(method, args)) });

  return ready.then(() => ({
    call,
    mailbox,
    get state() { return state; },
    addEventListener: (...args) => events.addEventListener(...args),
    removeEventListener: (...args) => events.removeEventListener(...args),
  }));
}
