// The four contenders, each behind the same small interface, run in one page on
// the same data:
//   A: offline-mailbox (encrypted)            B: raw IndexedDB, plaintext (the floor)
//   C: Dexie 4 bulkPut (what teams use today)
//   D: Dexie 4 + dexie-encrypted 2.0.0 (the encrypted Dexie a team would reach for)
// All index what the benchmark's queries need: a folder's messages newest first,
// a message by id. Every contender stores the same Graph-shaped objects.
import init, { OfflineMailbox } from "/pkg/web/offline_mailbox.js";
import Dexie from "/dexie/dexie.mjs";
// dexie-encrypted ships only CommonJS; bench/run.mjs serves it (with tweetnacl,
// typeson, @stablelib/utf8 and tslib) as one ES module bound to the Dexie above.
import dexieEncrypted from "/bench/dexie-encrypted.js";

export const wasm = await init();
const KEY = new Uint8Array(32).fill(42);
const request = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
const done = (tx) => new Promise((ok, fail) => { tx.oncomplete = ok; tx.onerror = () => fail(tx.error); tx.onabort = () => fail(tx.error); });

export const library = {
  name: "A: offline-mailbox (encrypted)",
  async reset() { await OfflineMailbox.wipeUser("bench-user"); },
  async open() {
    this.mailbox = await OfflineMailbox.open({ userId: "bench-user", key: KEY, computer: "private" });
    if (!this.mailbox.offlineEnabled) await this.mailbox.enableOffline();
  },
  close() { this.mailbox.close(); },
  put(batch) { return this.mailbox.putMessages(batch); },
  async newest(folder, n) { return (await this.mailbox.listMessages(folder, { limit: n })).value; },
  get(id) { return this.mailbox.getMessage(id); },
};

export const raw = {
  name: "B: raw IndexedDB (plaintext floor)",
  async reset() { this.db?.close(); await request(indexedDB.deleteDatabase("bench-raw")); },
  async open() {
    const open = indexedDB.open("bench-raw", 1);
    open.onupgradeneeded = () => {
      const store = open.result.createObjectStore("messages", { keyPath: "id" });
      store.createIndex("byFolderTime", ["parentFolderId", "receivedDateTime"]);
      store.createIndex("byConversation", "conversationId");
    };
    this.db = await request(open);
  },
  close() { this.db.close(); },
  async put(batch) {
    const tx = this.db.transaction("messages", "readwrite");
    const store = tx.objectStore("messages");
    for (const message of batch) store.put(message);
    await done(tx);
  },
  async newest(folder, n) {
    const index = this.db.transaction("messages").objectStore("messages").index("byFolderTime");
    const range = IDBKeyRange.bound([folder, ""], [folder, "\uffff"]);
    const out = [];
    await new Promise((ok, fail) => {
      const cursor = index.openCursor(range, "prev");
      cursor.onerror = () => fail(cursor.error);
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c || out.length === n) return ok();
        out.push(c.value);
        c.continue();
      };
    });
    return out;
  },
  get(id) { return request(this.db.transaction("messages").objectStore("messages").get(id)); },
};

export const dexie = {
  name: "C: Dexie 4 bulkPut",
  async reset() { this.db?.close(); await Dexie.delete("bench-dexie"); },
  async open() {
    this.db = new Dexie("bench-dexie");
    this.db.version(1).stores({ messages: "id, [parentFolderId+receivedDateTime], conversationId" });
    await this.db.open();
  },
  close() { this.db.close(); },
  put(batch) { return this.db.messages.bulkPut(batch); },
  newest(folder, n) {
    return this.db.messages.where("[parentFolderId+receivedDateTime]").between([folder, Dexie.minKey], [folder, Dexie.maxKey]).reverse().limit(n).toArray();
  },
  get(id) { return this.db.messages.get(id); },
};

// dexie-encrypted's NON_INDEXED_FIELDS keeps a field in clear only when a single
// index has exactly its name; the parts of a compound index ([parentFolderId+
// receivedDateTime]) are encrypted away with the rest, so that index stays empty
// and the folder page finds nothing (mark43/dexie-encrypted issue 43, checked
// with 2.0.0 on Dexie 4.4.7). UNENCRYPTED_LIST ("all data other than indices and
// the listed fields is encrypted") naming the compound index's two fields gives
// what NON_INDEXED_FIELDS means: id, parentFolderId, receivedDateTime and
// conversationId in clear, everything else sealed with tweetnacl's secretbox
// (XSalsa20-Poly1305) after typeson serialisation. As published, 2.0.0 seals the
// whole object (clear fields included) into __encryptedData. It pins
// @stablelib/utf8 1.0.0, whose encoder throws "utf8: invalid string" on every
// character from U+E000 to U+FFFF (fullwidth punctuation, U+FFFD, ...), found in
// 36 of the 6,046 real messages, which fails their whole bulkPut; package.json
// overrides it with 1.0.2, the fixed patch release (dexie-encrypted's own 4.2.0
// betas depend on it).
export const DEXIE_ENCRYPTED_SETTINGS = {
  type: dexieEncrypted.UNENCRYPTED_LIST,
  fields: ["parentFolderId", "receivedDateTime"],
};

export const dexieEncryptedContender = {
  name: "D: Dexie 4 + dexie-encrypted 2.0.0",
  async reset() { this.db?.close(); await Dexie.delete("bench-dexie-encrypted"); },
  async open() {
    this.db = new Dexie("bench-dexie-encrypted");
    // Before version(): the middleware adds its _encryptionSettings table to the schema.
    dexieEncrypted.applyEncryptionMiddleware(this.db, KEY, { messages: DEXIE_ENCRYPTED_SETTINGS }, dexieEncrypted.clearAllTables);
    this.db.version(1).stores({ messages: "id, [parentFolderId+receivedDateTime], conversationId" });
    await this.db.open();
  },
  close() { this.db.close(); },
  put(batch) { return this.db.messages.bulkPut(batch); },
  newest(folder, n) {
    return this.db.messages.where("[parentFolderId+receivedDateTime]").between([folder, Dexie.minKey], [folder, Dexie.maxKey]).reverse().limit(n).toArray();
  },
  get(id) { return this.db.messages.get(id); },
};

export const contenders = { A: library, B: raw, C: dexie, D: dexieEncryptedContender };
