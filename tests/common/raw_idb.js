// Test helpers that read and write IndexedDB with the browser's own API, so the
// checks do not depend on the library under test.

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openRaw(name, version) {
  const req = version ? indexedDB.open(name, version) : indexedDB.open(name);
  return request(req);
}

const utf8 = new TextEncoder();

function utf16le(text) {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out[2 * i] = unit & 0xff;
    out[2 * i + 1] = unit >> 8;
  }
  return out;
}

// Flattens any key or value into byte chunks: binary as is, strings as UTF-8 and
// UTF-16LE, numbers and dates as text, containers recursively (with their property names).
function flatten(value, chunks) {
  if (value === null || value === undefined) return;
  if (value instanceof ArrayBuffer) { chunks.push(new Uint8Array(value)); return; }
  if (ArrayBuffer.isView(value)) { chunks.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)); return; }
  if (typeof value === "string") { chunks.push(utf8.encode(value), utf16le(value)); return; }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") { flatten(String(value), chunks); return; }
  if (value instanceof Date) { flatten(value.toISOString(), chunks); return; }
  if (value instanceof Blob) { throw new Error("blobs are not expected in the store"); }
  if (Array.isArray(value)) { value.forEach((v) => flatten(v, chunks)); return; }
  if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) { flatten(k, chunks); flatten(v, chunks); }
  }
}

async function cursorAll(source, chunks, withValues) {
  await new Promise((resolve, reject) => {
    const req = source.openCursor();
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor) return resolve();
      flatten(cursor.key, chunks);
      flatten(cursor.primaryKey, chunks);
      if (withValues) flatten(cursor.value, chunks);
      cursor.continue();
    };
  });
}

export async function dumpOrigin() {
  const chunks = [];
  for (const { name } of await indexedDB.databases()) {
    flatten(name, chunks);
    const db = await openRaw(name);
    for (const storeName of db.objectStoreNames) {
      flatten(storeName, chunks);
      const tx = db.transaction(storeName, "readonly");
      const store = tx.objectStore(storeName);
      flatten(store.keyPath, chunks);
      await cursorAll(store, chunks, true);
      for (const indexName of store.indexNames) {
        flatten(indexName, chunks);
        const index = store.index(indexName);
        flatten(index.keyPath, chunks);
        await cursorAll(index, chunks, false);
      }
    }
    db.close();
  }
  const total = chunks.reduce((n, c) => n + c.length + 1, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) { out.set(chunk, at); at += chunk.length + 1; }
  return out;
}

export async function databaseNames() {
  return (await indexedDB.databases()).map((d) => d.name);
}

export async function tamperFirst(dbName, storeName) {
  const db = await openRaw(dbName);
  const tx = db.transaction(storeName, "readwrite");
  const store = tx.objectStore(storeName);
  const keys = await request(store.getAllKeys());
  const record = await request(store.get(keys[0]));
  const bytes = new Uint8Array(record.v);
  bytes[bytes.length - 20] ^= 0x01;
  record.v = bytes;
  await request(store.put(record, keys[0]));
  await new Promise((resolve) => { tx.oncomplete = resolve; });
  db.close();
  return keys.length;
}

export async function openAtVersion(name, version) {
  const db = await openRaw(name, version);
  db.close();
}

export async function deleteAll() {
  for (const { name } of await indexedDB.databases()) {
    await request(indexedDB.deleteDatabase(name));
  }
}

export async function codeOf(promise) {
  try {
    await promise;
    return "resolved";
  } catch (error) {
    return String(error && error.code);
  }
}

export async function copyFirstOntoSecond(dbName, storeName) {
  const db = await openRaw(dbName);
  const tx = db.transaction(storeName, "readwrite");
  const store = tx.objectStore(storeName);
  const keys = await request(store.getAllKeys());
  const first = await request(store.get(keys[0]));
  await request(store.put(first, keys[1]));
  await new Promise((resolve) => { tx.oncomplete = resolve; });
  db.close();
}
