// The page's side of mail-worker.js: `call(method, ...args)` resolves to what
// the worker's mailbox answered, or rejects with its error (name, code and
// fields kept); the worker's events are dispatched here. README ("Using it in
// a Web Worker") shows this file.
export function connectMailbox(worker) {
  const pending = new Map();
  const events = new EventTarget();
  let lastId = 0;
  worker.addEventListener("message", ({ data }) => {
    if (data.event) return events.dispatchEvent(new CustomEvent(data.event, { detail: data.detail }));
    const { resolve, reject } = pending.get(data.id);
    pending.delete(data.id);
    if (data.error) reject(Object.assign(new Error(data.error.message), data.error));
    else resolve(data.result);
  });
  // A worker that fails to load or throws outside a call would leave calls waiting forever.
  worker.addEventListener("error", (event) => {
    for (const { reject } of pending.values()) reject(new Error(`worker failed: ${event.message}`));
    pending.clear();
  });
  return {
    call: (method, ...args) =>
      new Promise((resolve, reject) => {
        pending.set(++lastId, { resolve, reject });
        worker.postMessage({ id: lastId, method, args });
      }),
    addEventListener: (type, listener, options) => events.addEventListener(type, listener, options),
    removeEventListener: (type, listener, options) => events.removeEventListener(type, listener, options),
  };
}
