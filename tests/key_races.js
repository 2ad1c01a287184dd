// Attacks of the review of the WebCrypto key change, driven from JavaScript so
// that several API calls (and several "tabs": mailbox objects on the same
// database) can run at once. Edits to IndexedDB use the browser's own API.

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

async function edit(dbName, storeName, change) {
  const db = await request(indexedDB.open(dbName));
  const tx = db.transaction(storeName, "readwrite");
  const store = tx.objectStore(storeName);
  const keys = await request(store.getAllKeys());
  const values = await request(store.getAll());
  const changed = change(keys, values, store);
  await done(tx);
  db.close();
  return changed;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function message(id, folder = "inbox", day = 1) {
  return {
    id,
    parentFolderId: folder,
    subject: `subject ${id}`,
    isRead: false,
    receivedDateTime: `2024-05-${String(day).padStart(2, "0")}T10:00:00Z`,
    body: { contentType: "text", content: `body of ${id} `.repeat(20) },
  };
}

export function messages(prefix, n) {
  return Array.from({ length: n }, (_, i) => message(`${prefix}${i}`, "inbox", (i % 28) + 1));
}

// "ok" or the error's code for each promise.
export async function outcomes(promises) {
  const settled = await Promise.allSettled(promises);
  return settled.map((s) => {
    if (s.status === "fulfilled") return "ok";
    const code = s.reason?.code ?? String(s.reason);
    return code === "Storage" ? `Storage(${s.reason.message})` : code;
  });
}

// Sets the data key id named by the envelopes of the first `n` records of `store`
// to `id` (a key no keyring holds): each read of such a record makes the reader
// load the keyring again before it gives up on it.
export function setKeyId(dbName, storeName, n, id) {
  return edit(dbName, storeName, (keys, values, store) => {
    let changed = 0;
    for (let i = 0; i < Math.min(n, values.length); i++) {
      const v = new Uint8Array(values[i].v);
      new DataView(v.buffer, v.byteOffset).setUint32(1, id);
      values[i].v = v;
      store.put(values[i], keys[i]);
      changed++;
    }
    return changed;
  });
}

// The distinct data key ids named by the envelopes of `store`, sorted.
export async function keyIds(dbName, storeName) {
  const values = await edit(dbName, storeName, (keys, values) => values);
  const ids = new Set(values.map((value) => new DataView(value.v.buffer, value.v.byteOffset + 1, 4).getUint32(0)));
  return [...ids].sort((a, b) => a - b);
}

// The raw value of the `meta` record `name`.
export async function metaValue(dbName, name) {
  return edit(dbName, "meta", (keys, values) => {
    const i = keys.findIndex((k) => new TextDecoder().decode(k) === name);
    return i < 0 ? null : new Uint8Array(values[i].v);
  });
}

// Stores `bytes` as the value of the `meta` record `name`.
export async function setMetaValue(dbName, name, bytes) {
  return edit(dbName, "meta", (keys, values, store) => {
    const i = keys.findIndex((k) => new TextDecoder().decode(k) === name);
    values[i].v = new Uint8Array(bytes);
    store.put(values[i], keys[i]);
    return 1;
  });
}

// How many of `ids` read back from `mailbox` (getMessage resolves to a message).
export async function readable(mailbox, ids) {
  let ok = 0;
  for (const id of ids) {
    try {
      if (await mailbox.getMessage(id)) ok++;
    } catch (e) {
      // counted as unreadable
    }
  }
  return ok;
}

// Yields to the event loop (a task, not a timer: no 1-4 ms clamp).
function yieldTask() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(0);
  });
}

// Race 1: another tab (`b`) rotated the data key, so `a` must load the keyring
// again. `a` then writes once (`write`: "put" or "reset") while reads keep
// starting, one per turn of the event loop. A read that took in the state before
// the write committed, and whose keyring reload ends after it, must not call
// that state a rollback.
export async function writeWhileReadsReload(a, b, rounds, reads, write = "reset") {
  const log = [];
  for (let round = 0; round < rounds; round++) {
    await b.rotateDataKey();
    const calls = [
      write === "put" ? a.putMessages([message(`w${round}`)]) : a.resetScope("messages", `scope${round}`),
    ];
    for (let i = 0; i < reads; i++) {
      calls.push(i % 2 ? a.folders() : a.getMessage(`m${i % 40}`));
      await yieldTask();
    }
    const result = await outcomes(calls);
    const failed = result.map((r, i) => (r === "ok" ? null : `${i}:${r}`)).filter(Boolean);
    log.push(failed.join(","));
    if (failed.length) return { round, log };
  }
  return { round: -1, log };
}

export { sleep, yieldTask };

// Waits `delay` ms, or (negative) -delay turns of the event loop.
async function pause(delay) {
  if (delay >= 0) return sleep(delay);
  for (let i = 0; i < -delay; i++) await yieldTask();
}

// Keeps WebCrypto busy from another tab: full listings (every summary and body
// decrypted) one after another until `stop.done` is set.
async function keepCryptoBusy(tab, stop) {
  while (!stop.done) {
    try {
      await tab.listMessages("inbox", { limit: 1000, fields: "full" });
    } catch (e) {
      return;
    }
  }
}

// Race 1 under load: the same as `writeWhileReadsReload`, while a third tab keeps
// WebCrypto busy (as a large listing or a rotation would), so a keyring reload
// (several WebCrypto calls in a row) takes longer than a write transaction.
export async function writeWhileReadsReloadUnderLoad(a, b, c, rounds, reads) {
  const stop = { done: false };
  const load = keepCryptoBusy(c, stop);
  try {
    return await writeWhileReadsReload(a, b, rounds, reads, "reset");
  } finally {
    stop.done = true;
    await load;
  }
}

// Makes every `crypto.subtle.unwrapKey` answer `ms` later (a slow or busy
// device: WebCrypto runs off the main thread and promises nothing about
// latency). Returns a function that undoes it.
export function slowUnwrapKey(ms) {
  const original = SubtleCrypto.prototype.unwrapKey;
  SubtleCrypto.prototype.unwrapKey = function (...args) {
    return sleep(ms).then(() => original.apply(this, args));
  };
  return () => {
    SubtleCrypto.prototype.unwrapKey = original;
  };
}

export async function withSlowUnwrapKey(ms, run) {
  if (!ms) return run();
  const undo = slowUnwrapKey(ms);
  try {
    return await run();
  } finally {
    undo();
  }
}

export function writeWhileReadsReloadSlowUnwrap(a, b, rounds, reads, ms) {
  return withSlowUnwrapKey(ms, () => writeWhileReadsReload(a, b, rounds, reads, "reset"));
}

// Messages `t0`..`t{n-1}` whose summary envelopes name a data key no keyring
// holds (what an extension with IndexedDB access can do by flipping a byte),
// then `m0`..`m{good-1}` left alone.
export async function mailboxWithTampered(mailbox, dbName, n, good) {
  await mailbox.putMessages(messages("t", n));
  await setKeyId(dbName, "messages", n, 99);
  await mailbox.putMessages(messages("m", good));
}

// A rotation in this tab, and `delayMs` later one read that makes the tab load
// the keyring again (it reads a record naming an unknown data key).
export function rotateWithReloadAt(a, id, delayMs, slowMs) {
  return withSlowUnwrapKey(slowMs, async () => {
    const rotate = a.rotateDataKey();
    await pause(delayMs);
    const read = a.getMessage(id);
    const [rotated, read_] = await outcomes([rotate, read]);
    return { rotated, read: read_ };
  });
}

// A key change in this tab, and `delayMs` later one read that reloads the keyring.
export function changeKeyWithReloadAt(a, id, newKey, delayMs, slowMs) {
  return withSlowUnwrapKey(slowMs, async () => {
    const change = a.changeKey({ key: newKey });
    await pause(delayMs);
    const read = a.getMessage(id);
    const [changed, read_] = await outcomes([change, read]);
    return { changed, read: read_ };
  });
}

export async function afterwards(a, newKey) {
  const [rotated] = await outcomes([a.rotateDataKey()]);
  const [changed] = await outcomes([a.changeKey({ key: newKey })]);
  return { rotated, changed };
}

// Many API calls of one tab at once, `rounds` times: listings, puts, delta pages,
// gets, counts, quarantine, a rotation and a key change. Returns each call's
// outcome per round, then what reads back.
export async function everythingAtOnce(a, rounds, newKey) {
  const log = [];
  const written = [];
  for (let round = 0; round < rounds; round++) {
    const calls = [];
    const names = [];
    const add = (name, p) => {
      names.push(name);
      calls.push(p);
    };
    for (let i = 0; i < 3; i++) {
      const batch = messages(`r${round}p${i}-`, 20);
      written.push(...batch.map((m) => m.id));
      add(`put${i}`, a.putMessages(batch));
    }
    add("list", a.listMessages("inbox", { limit: 100 }));
    add("listFull", a.listMessages("inbox", { limit: 50, fields: "full" }));
    add("delta", a.applyDelta("messages", "inbox", {
      value: [message(`r${round}d0`), { id: "m1", isRead: true }],
      "@odata.deltaLink": `https://graph.example/d?r=${round}`,
    }));
    written.push(`r${round}d0`);
    add("rotate", a.rotateDataKey());
    if (newKey && round % 2 === 1) add("changeKey", a.changeKey({ key: newKey }));
    for (let i = 0; i < 5; i++) add(`get${i}`, a.getMessage(`m${i}`));
    add("folders", a.folders());
    add("quarantine", a.quarantine());
    add("deltaLink", a.deltaLink("messages", "inbox"));
    const result = await outcomes(calls);
    log.push(result.map((r, i) => (r === "ok" ? null : `${names[i]}:${r}`)).filter(Boolean).join(","));
  }
  return { log, written };
}

// Counts: the inbox's totalItemCount, and how many messages list in it.
export async function inboxCount(a) {
  const folders = await a.folders();
  const inbox = folders.find((f) => f.id === "inbox") ?? folders[0];
  let listed = 0;
  let page = await a.listMessages("inbox", { limit: 1000 });
  listed += page.value.length;
  while (page.nextCursor) {
    page = await a.listMessages("inbox", { limit: 1000, cursor: page.nextCursor });
    listed += page.value.length;
  }
  return { total: inbox?.totalItemCount, unread: inbox?.unreadItemCount, listed };
}

// Two tabs each running `everythingAtOnce` (without key changes) at the same time,
// on distinct ids.
export async function twoTabsAtOnce(a, b, rounds) {
  const [ra, rb] = await Promise.all([everythingAtOnceP(a, rounds, "a"), everythingAtOnceP(b, rounds, "b")]);
  return { log: [...ra.log, ...rb.log], written: [...ra.written, ...rb.written] };
}

async function everythingAtOnceP(a, rounds, tag) {
  const log = [];
  const written = [];
  for (let round = 0; round < rounds; round++) {
    const calls = [];
    const names = [];
    const ids = [];
    const add = (name, p, wrote = []) => {
      names.push(name);
      calls.push(p);
      ids.push(wrote);
    };
    for (let i = 0; i < 2; i++) {
      const batch = messages(`${tag}r${round}p${i}-`, 20);
      add(`put${i}`, a.putMessages(batch), batch.map((m) => m.id));
    }
    add("list", a.listMessages("inbox", { limit: 100 }));
    add("delta", a.applyDelta("messages", `scope-${tag}`, {
      value: [message(`${tag}r${round}d0`)],
      "@odata.deltaLink": `https://graph.example/d?r=${round}`,
    }), [`${tag}r${round}d0`]);
    if (round % 2 === (tag === "a" ? 0 : 1)) add("rotate", a.rotateDataKey());
    for (let i = 0; i < 3; i++) add(`get${i}`, a.getMessage(`m${i}`));
    add("folders", a.folders());
    add("quarantine", a.quarantine());
    const result = await outcomes(calls);
    result.forEach((r, i) => {
      if (r === "ok") written.push(...ids[i]);
    });
    log.push(`${tag}:` + result.map((r, i) => (r === "ok" ? null : `${names[i]}:${r}`)).filter(Boolean).join(","));
  }
  return { log, written };
}

// Sets byte `index` of the `meta` record `name`'s value to `value`; resolves to the old byte.
export async function setMetaByte(dbName, name, index, value) {
  return edit(dbName, "meta", (keys, values, store) => {
    const i = keys.findIndex((k) => new TextDecoder().decode(k) === name);
    const v = new Uint8Array(values[i].v);
    const old = v[index];
    v[index] = value;
    values[i].v = v;
    store.put(values[i], keys[i]);
    return old;
  });
}

// Every call of an open mailbox that reads or writes, with each outcome.
export async function everyCall(a) {
  const names = ["getMessage", "listMessages", "folders", "putMessages", "applyDelta", "resetScope", "rotateDataKey", "changeKey", "quarantine"];
  const calls = [
    () => a.getMessage("m1"),
    () => a.listMessages("inbox"),
    () => a.folders(),
    () => a.putMessages([message("new")]),
    () => a.applyDelta("messages", "inbox", { value: [message("d")], "@odata.deltaLink": "https://graph.example/d" }),
    () => a.resetScope("messages", "other"),
    () => a.rotateDataKey(),
    () => a.changeKey({ key: new Uint8Array(32).fill(7) }),
    () => a.quarantine(),
  ];
  const out = {};
  for (let i = 0; i < calls.length; i++) {
    const t = performance.now();
    const [r] = await outcomes([calls[i]()]);
    out[names[i]] = `${r} ${Math.round(performance.now() - t)}ms`;
  }
  return out;
}
