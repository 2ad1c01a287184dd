// The library's home: a dedicated module worker holding the one OfflineMailbox of
// the signed-in user. Decryption, search and sync run here, off the page's
// thread, so the list keeps scrolling while a sync writes thousands of messages.
//
// Protocol (the page's side is app/rpc.js):
//   page -> worker  { id, method, args }   a call; `{ abort: id }` aborts a running sync
//   worker -> page  { id, result, state }  or { id, error, state }; `{ id, progress }` while it runs
//                   { event, detail, state } the mailbox's change / leaderchange / close events
// `state` ({ offlineEnabled, isLeader, epoch }) rides along, so the page always
// knows the mailbox's properties without asking. `method` is one of ours below,
// or any method of the open mailbox. Values cross by structured clone: photos
// come back as the library's Blobs. Errors come back as plain objects with the
// library's fields (`code`, `field`, `index`, ...), which the page rebuilds.
import init, { OfflineMailbox } from "/pkg/web/offline_mailbox.js";

const ready = init();
let mailbox = null;
/** Call id -> AbortController of a running sync. */
const running = new Map();

function state() {
  try {
    return { offlineEnabled: mailbox?.offlineEnabled ?? false, isLeader: mailbox?.isLeader ?? false, epoch: mailbox?.epoch ?? null };
  } catch {
    return { offlineEnabled: false, isLeader: false, epoch: null }; // a mailbox another tab closed under us
  }
}

/** Forwards the mailbox's events to the page. */
function forward(opened) {
  for (const type of ["change", "leaderchange", "close"]) {
    opened.addEventListener(type, (event) => {
      if (opened !== mailbox) return;
      postMessage({ event: type, detail: event.detail ?? null, state: state() });
    });
  }
}

/** The calls that are not a method of the open mailbox (`progress` reports on the call). */
const own = {
  /** Opens the user's mailbox, closing one left open; `options` as OfflineMailbox.open, minus functions. */
  async open(options, { progress }) {
    mailbox?.close();
    mailbox = null;
    const opened = await OfflineMailbox.open({ ...options, onUpgradeProgress: progress });
    mailbox = opened;
    forward(opened);
    return state();
  },
  /**
   * Runs `mailbox.sync`. The access token is handed over as a string (the demo
   * server takes any bearer token); progress reports go back to the page.
   */
  async sync({ accessToken, ...options }, { progress, id }) {
    const controller = new AbortController();
    running.set(id, controller);
    try {
      return await mailbox.sync({ ...options, getAccessToken: () => accessToken, onProgress: progress, signal: controller.signal });
    } finally {
      running.delete(id);
    }
  },
  /** The mailbox's properties. */
  state: async () => state(),
  /** Signs out (see the library's signOut) and forgets the mailbox. */
  async signOut(options) {
    for (const controller of running.values()) controller.abort();
    const closing = mailbox;
    mailbox = null;
    await closing?.signOut(options);
  },
};

/** Plain data of a library error: its name, message and own fields (code, field, index, ...). */
function serializeError(error) {
  const plain = { name: error?.name ?? "Error", message: error?.message ?? String(error) };
  for (const [key, value] of Object.entries(error ?? {})) {
    if (value === null || ["string", "number", "boolean"].includes(typeof value)) plain[key] = value;
  }
  return plain;
}

async function call(id, method, args) {
  await ready;
  const progress = (report) => postMessage({ id, progress: report });
  if (Object.hasOwn(own, method)) return own[method](...args, { progress, id });
  if (!mailbox) throw Object.assign(new Error("no mailbox is open"), { code: "Closed" });
  if (typeof mailbox[method] !== "function" || method.startsWith("_") || ["free", "addEventListener", "removeEventListener"].includes(method)) {
    throw Object.assign(new Error(`no such method: ${method}`), { code: "InvalidInput" });
  }
  return mailbox[method](...args);
}

addEventListener("message", async ({ data }) => {
  if ("abort" in data) return running.get(data.abort)?.abort();
  const { id, method, args } = data;
  try {
    const result = await call(id, method, args);
    postMessage({ id, result, state: state() });
  } catch (error) {
    postMessage({ id, error: serializeError(error), state: state() });
  }
});

// Tells the page the module loaded and its WebAssembly compiled (or why not).
ready.then(
  () => postMessage({ event: "ready", detail: null, state: state() }),
  (error) => postMessage({ event: "failed", detail: serializeError(error), state: state() }),
);
