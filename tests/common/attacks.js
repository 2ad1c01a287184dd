// Attacks on a stored mailbox, made with the browser's own IndexedDB API: what a
// malicious extension, or someone editing a disk image, can do to the records.

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

function openRaw(name) {
  return request(indexedDB.open(name));
}

function sameBytes(a, b) {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  return a.every((byte, i) => byte === b[i]);
}

async function edit(dbName, storeName, change) {
  const db = await openRaw(dbName);
  const tx = db.transaction(storeName, "readwrite");
  const store = tx.objectStore(storeName);
  const keys = await request(store.getAllKeys());
  const values = await request(store.getAll());
  const changed = change(keys, values, store);
  await done(tx);
  db.close();
  return changed;
}

// Sets `field` of every record whose value differs from the most common one to
// that most common value (e.g. moves a junk message's folder tag onto the Inbox's).
export function setFieldToMajority(dbName, storeName, field) {
  return edit(dbName, storeName, (keys, values, store) => {
    const tally = [];
    for (const value of values) {
      const entry = tally.find((t) => sameBytes(t.tag, value[field]));
      if (entry) entry.count += 1;
      else tally.push({ tag: value[field], count: 1 });
    }
    tally.sort((a, b) => b.count - a.count);
    const majority = tally[0].tag;
    let changed = 0;
    values.forEach((value, i) => {
      if (sameBytes(value[field], majority)) return;
      value[field] = majority;
      store.put(value, keys[i]);
      changed += 1;
    });
    return changed;
  });
}

// Gives the second record the first record's multi-entry `field` (e.g. its address tags).
export function copyFieldFirstToSecond(dbName, storeName, field) {
  return edit(dbName, storeName, (keys, values, store) => {
    values[1][field] = values[0][field];
    store.put(values[1], keys[1]);
    return 1;
  });
}

// Stores `value` under `key` as is (any key and value the platform accepts).
export function putRaw(dbName, storeName, key, value) {
  return edit(dbName, storeName, (keys, values, store) => {
    store.put(value, key);
    return 1;
  });
}

// Names of the keys in `meta`, as text.
export async function metaKeys(dbName) {
  return edit(dbName, "meta", (keys) => keys.map((k) => (typeof k === "string" ? k : new TextDecoder().decode(k))));
}

// Flips one bit in the value of the `meta` record named `name`.
export function tamperMeta(dbName, name) {
  return edit(dbName, "meta", (keys, values, store) => {
    const i = keys.findIndex((k) => new TextDecoder().decode(k) === name);
    const bytes = new Uint8Array(values[i].v);
    bytes[bytes.length - 20] ^= 1;
    values[i].v = bytes;
    store.put(values[i], keys[i]);
    return 1;
  });
}

// A copy of every store of the database: what a backup or an old disk image holds.
export async function snapshot(dbName) {
  const db = await openRaw(dbName);
  const copy = {};
  for (const name of db.objectStoreNames) {
    const tx = db.transaction(name, "readonly");
    const store = tx.objectStore(name);
    copy[name] = { keys: await request(store.getAllKeys()), values: await request(store.getAll()) };
  }
  db.close();
  return copy;
}

// Puts a snapshot back: every store holds exactly what it held then.
export async function restore(dbName, copy) {
  const db = await openRaw(dbName);
  for (const name of Object.keys(copy)) {
    const tx = db.transaction(name, "readwrite");
    const store = tx.objectStore(name);
    store.clear();
    copy[name].keys.forEach((key, i) => store.put(copy[name].values[i], key));
    await done(tx);
  }
  db.close();
}

// Puts back only the given stores of a snapshot.
export async function restoreStores(dbName, copy, names) {
  const subset = {};
  for (const name of names) subset[name] = copy[name];
  return restore(dbName, subset);
}

// The distinct data key ids named by the envelopes of `store`, sorted.
export async function keyIds(dbName, storeName) {
  const values = await edit(dbName, storeName, (keys, values) => values);
  const ids = new Set(values.map((value) => new DataView(value.v.buffer, value.v.byteOffset + 1, 4).getUint32(0)));
  return [...ids].sort((a, b) => a - b);
}

// How many records `store` holds.
export async function countRecords(dbName, storeName) {
  return edit(dbName, storeName, (keys) => keys.length);
}

// A progress handler that records each report as "done/total" into `log`, and
// closes `mailbox` once `closeAfter` reports have come (0: never).
export function progressLog(log, mailbox, closeAfter) {
  return (progress) => {
    log.push(`${progress.done}/${progress.total}`);
    if (closeAfter > 0 && log.length === closeAfter) mailbox.close();
  };
}

// Copies the first record of `store` (fields, tag, value) under `n` new random keys.
export function copyFirstToNewKeys(dbName, storeName, n) {
  return edit(dbName, storeName, (keys, values, store) => {
    for (let i = 0; i < n; i++) store.put(values[0], crypto.getRandomValues(new Uint8Array(16)));
    return n;
  });
}

// Sets the stored copy of the key (`k`, which orders the folder index) of every record to 0xff bytes.
export function setStoredKey(dbName, storeName) {
  return edit(dbName, storeName, (keys, values, store) => {
    values.forEach((value, i) => {
      value.k = new Uint8Array(16).fill(0xff);
      store.put(value, keys[i]);
    });
    return values.length;
  });
}

// Puts a junk record under a long key: 300 bytes of 0xff (sorting after every other
// key) when `last`, else 65 zero bytes (sorting before them).
export function putLongKey(dbName, storeName, last) {
  const key = last ? new Uint8Array(300).fill(0xff) : new Uint8Array(65);
  return edit(dbName, storeName, (keys, values, store) => {
    store.put({ v: new Uint8Array(64) }, key);
    return 1;
  });
}

// The distinct envelope formats in `store`, as "version/codec" (version 3 envelopes
// carry a codec byte after the key id: 0 stored as is, 1 compressed).
export async function envelopeFormats(dbName, storeName) {
  const values = await edit(dbName, storeName, (keys, values) => values);
  const formats = new Set(values.map((value) => (value.v[0] === 3 ? `3/${value.v[5]}` : `${value.v[0]}`)));
  return [...formats].sort();
}

// Deletes every record of `store`.
export function clearStore(dbName, storeName) {
  return edit(dbName, storeName, (keys, values, store) => {
    store.clear();
    return keys.length;
  });
}

// Swaps the values of the first two records of `store` (each keeps its key).
export function swapFirstTwo(dbName, storeName) {
  return edit(dbName, storeName, (keys, values, store) => {
    store.put(values[1], keys[0]);
    store.put(values[0], keys[1]);
    return 2;
  });
}

// Deletes the `meta` record named `name`; resolves to how many were removed.
export async function deleteMetaKey(dbName, name) {
  return edit(dbName, "meta", (keys, values, store) => {
    const found = keys.filter((k) => new TextDecoder().decode(k) === name);
    found.forEach((k) => store.delete(k));
    return found.length;
  });
}

// Puts `n` junk records (64-byte values, no clear fields) under new keys of `store`.
export function stuffJunk(dbName, storeName, n) {
  return edit(dbName, storeName, (keys, values, store) => {
    for (let i = 0; i < n; i++) {
      const key = new Uint8Array(16);
      key[0] = 0xff;
      key[15] = i;
      store.put({ v: new Uint8Array(64).fill(i) }, key);
    }
    return n;
  });
}
