// The data keys live in WebCrypto as non-extractable keys: their bytes never sit in
// the library's WebAssembly memory, where a bug that leaks that memory could leak
// them. The test learns the data keys the way a thief holding the host's key would
// (it derives the KEK and opens the stored keyring itself, with WebCrypto), then
// searches the whole WebAssembly memory for them while a mailbox is open and busy.
// Two controls show the search would see a key that is there: it finds the blind
// key (which does live in WebAssembly) in the current build, and the data key in
// the memory of the schema-3 release, which held its data keys in WebAssembly.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { launchBrowser } from "./browser.mjs";
import { startSite } from "./site.mjs";

const root = resolve(import.meta.dirname, "..", "..");

let site;
let browser;

before(async () => {
  site = await startSite({
    "/old/": join(root, "www", "e2e", "fixtures", "schema3-release"),
    "/pkg/": join(root, "pkg"),
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  site?.close();
});

async function newPage() {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(120_000);
  await page.goto(`${site.origin}/`);
  // Helpers every step below uses, defined once per page.
  await page.evaluate(() => {
    const utf8 = (text) => new TextEncoder().encode(text);
    const u32 = (n) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
    const concat = (...parts) => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) { out.set(p, at); at += p.length; }
      return out;
    };
    const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    // What a thief with the host key learns from the stored keyring: the blind
    // key and every data key, as hex.
    window.stolenKeys = async (dbName, material) => {
      const db = await new Promise((ok, fail) => {
        const open = indexedDB.open(dbName);
        open.onsuccess = () => ok(open.result);
        open.onerror = () => fail(open.error);
      });
      const read = (method) => new Promise((ok) => {
        const request = db.transaction("meta").objectStore("meta")[method]();
        request.onsuccess = () => ok(request.result);
      });
      const [keys, values] = [await read("getAllKeys"), await read("getAll")];
      db.close();
      const at = keys.findIndex((k) => new TextDecoder().decode(k) === "keyring");
      const wrap = new Uint8Array(values[at].v);
      const header = wrap.slice(0, 22);
      const sealed = wrap.slice(22);
      // Envelope version 3 has a codec byte after the key id; version 2 (older releases) has none.
      const headerLen = sealed[0] === 3 ? 6 : 5;
      const aad = concat(utf8("offline-mailbox/envelope"), sealed.slice(0, headerLen), u32(4), utf8("meta"), u32(22), header, u32(0));
      const base = await crypto.subtle.importKey("raw", material, "HKDF", false, ["deriveKey"]);
      const kek = await crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: header.slice(6, 22), info: utf8("offline-mailbox/kek/v1") },
        base, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
      const open = async (key, iv, additionalData, data) =>
        new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData }, key, data));
      const plain = await open(kek, sealed.slice(headerLen, headerLen + 12), aad, sealed.slice(headerLen + 12));
      const count = plain[36];
      const dataKeys = [];
      for (let i = 0; i < count; i++) {
        if (header[0] === 2) {
          dataKeys.push(hex(plain.slice(41 + 36 * i, 73 + 36 * i)));
          continue;
        }
        const entry = plain.slice(37 + 64 * i, 101 + 64 * i);
        const entryAad = concat(utf8("offline-mailbox/data-key/v1"), header, entry.slice(0, 4));
        dataKeys.push(hex(await open(kek, entry.slice(4, 16), entryAad, entry.slice(16))));
      }
      return { format: header[0], blindKey: hex(plain.slice(0, 32)), dataKeys };
    };
    // The bytes of the `meta` record `name`; with `bytes`, replaced by them first.
    window.rawMeta = async (dbName, name, bytes) => {
      const db = await new Promise((ok, fail) => { const r = indexedDB.open(dbName); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
      const tx = db.transaction("meta", "readwrite");
      const store = tx.objectStore("meta");
      const keys = await new Promise((ok) => { const r = store.getAllKeys(); r.onsuccess = () => ok(r.result); });
      const values = await new Promise((ok) => { const r = store.getAll(); r.onsuccess = () => ok(r.result); });
      const i = keys.findIndex((k) => new TextDecoder().decode(k) === name);
      const old = [...new Uint8Array(values[i].v)];
      if (bytes) { values[i].v = new Uint8Array(bytes); store.put(values[i], keys[i]); }
      await new Promise((ok) => { tx.oncomplete = ok; });
      db.close();
      return old;
    };
    // Which of the hex needles occur anywhere in `memory`.
    window.foundIn = (memory, needles) => {
      const bytes = new Uint8Array(memory.buffer);
      return needles.filter((needle) => {
        const want = Uint8Array.from(needle.match(/../g), (h) => parseInt(h, 16));
        for (let i = bytes.indexOf(want[0]); i !== -1 && i + 32 <= bytes.length; i = bytes.indexOf(want[0], i + 1)) {
          let j = 1;
          while (j < 32 && bytes[i + j] === want[j]) j++;
          if (j === 32) return true;
        }
        return false;
      });
    };
    window.someMessages = (from, count, folder) => Array.from({ length: count }, (_, i) => ({
      id: `m-${from + i}`,
      parentFolderId: folder,
      conversationId: `c-${(from + i) % 7}`,
      subject: `Quarterly figures ${from + i}`,
      receivedDateTime: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
      isRead: i % 2 === 0,
      body: { contentType: "html", content: `<p>${"The numbers for this quarter. ".repeat(40)}</p>` },
    }));
  });
  return page;
}

test("the data keys never sit in WebAssembly memory, before or after a rotation, for a new or upgraded mailbox", async () => {
  const key = Array(32).fill(0).map((_, i) => (i * 7 + 3) & 255);

  // The schema-3 release writes a mailbox; its memory holds the data key it uses.
  const oldPage = await newPage();
  const old = await oldPage.evaluate(async (key) => {
    const release = await import("/old/offline_mailbox.js");
    const wasm = await release.default();
    const material = new Uint8Array(key);
    const mailbox = await release.OfflineMailbox.open({ userId: "upgraded", key: material.slice() });
    await mailbox.enableOffline();
    await mailbox.putFolders([{ id: "inbox", displayName: "Inbox" }]);
    await mailbox.putMessages(someMessages(0, 40, "inbox"));
    await mailbox.listMessages("inbox", { limit: 20 });
    const stolen = await stolenKeys(release.OfflineMailbox.databaseName("upgraded"), material);
    const found = foundIn(wasm.memory, stolen.dataKeys);
    mailbox.close();
    return { stolen, found };
  }, key);
  await oldPage.close();
  assert.equal(old.stolen.format, 2);
  assert.deepEqual(old.found, old.stolen.dataKeys, "control: the search finds a data key held in WebAssembly");

  // The current build opens that mailbox and works with it; then rotates the data key.
  const page = await newPage();
  const current = await page.evaluate(async (key) => {
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    const wasm = await init();
    const material = new Uint8Array(key);
    const mailbox = await OfflineMailbox.open({ userId: "upgraded", key: material.slice() });
    const dbName = OfflineMailbox.databaseName("upgraded");
    await mailbox.putMessages(someMessages(40, 40, "inbox"));
    await mailbox.applyDelta("messages", "inbox", { value: [{ id: "m-1", isRead: false }], "@odata.deltaLink": "https://graph.example/d?t=1" });
    const page = await mailbox.listMessages("inbox", { limit: 50, fields: "full" });
    await mailbox.getMessage("m-3");
    const upgradedKeys = await stolenKeys(dbName, material);
    const beforeRotation = foundIn(wasm.memory, [...upgradedKeys.dataKeys]);
    const blindFound = foundIn(wasm.memory, [upgradedKeys.blindKey]).length;
    await mailbox.rotateDataKey();
    await mailbox.listMessages("inbox", { limit: 50 });
    const rotatedKeys = await stolenKeys(dbName, material);
    const afterRotation = foundIn(wasm.memory, [...upgradedKeys.dataKeys, ...rotatedKeys.dataKeys]);

    const fresh = await OfflineMailbox.open({ userId: "fresh", key: material.slice() });
    await fresh.enableOffline();
    await fresh.putMessages(someMessages(0, 30, "inbox"));
    await fresh.listMessages("inbox", { limit: 30 });
    const freshKeys = await stolenKeys(OfflineMailbox.databaseName("fresh"), material);
    const freshFound = foundIn(wasm.memory, freshKeys.dataKeys);
    const listed = page.value.length;
    mailbox.close();
    fresh.close();
    return { upgradedKeys, rotatedKeys, freshKeys, beforeRotation, afterRotation, freshFound, blindFound, listed };
  }, key);
  await page.close();

  assert.equal(current.listed, 50);
  assert.equal(current.upgradedKeys.format, 3, "the keyring is written in the new format once the mailbox is written");
  assert.deepEqual(current.upgradedKeys.dataKeys, old.stolen.dataKeys, "the upgrade keeps the data key (no re-encryption)");
  assert.equal(current.blindFound, 1, "control: the search finds the blind key, which lives in WebAssembly");
  assert.deepEqual(current.beforeRotation, [], "the upgraded mailbox's data key is not in WebAssembly memory");
  assert.equal(current.rotatedKeys.dataKeys.length, 1);
  assert.notDeepEqual(current.rotatedKeys.dataKeys, current.upgradedKeys.dataKeys);
  assert.deepEqual(current.afterRotation, [], "neither the old nor the new data key is in WebAssembly memory");
  assert.equal(current.freshKeys.format, 3);
  assert.deepEqual(current.freshFound, [], "a new mailbox's data key is not in WebAssembly memory");
});

// Paths the test above does not walk, from the review of the WebCrypto keyring: a
// key change (data keys unwrapped as extractable inside WebCrypto and wrapped
// again), key changes and rotations overlapping other calls, an upgraded mailbox
// whose key is changed straight away, and old keyrings and states put back.
test("no data key in WebAssembly memory after key changes and rotations overlapping other calls", async () => {
  const key = Array(32).fill(0).map((_, i) => (i * 11 + 5) & 255);
  const key2 = Array(32).fill(0).map((_, i) => (i * 13 + 1) & 255);
  const key3 = Array(32).fill(0).map((_, i) => (i * 17 + 9) & 255);

  // The schema-3 release writes a mailbox (keyring format 2, raw data key inside).
  const oldPage = await newPage();
  const old = await oldPage.evaluate(async (key) => {
    const release = await import("/old/offline_mailbox.js");
    await release.default();
    const material = new Uint8Array(key);
    const mailbox = await release.OfflineMailbox.open({ userId: "review-upgraded", key: material.slice() });
    await mailbox.enableOffline();
    await mailbox.putFolders([{ id: "inbox", displayName: "Inbox" }]);
    await mailbox.putMessages(someMessages(0, 60, "inbox"));
    const stolen = await stolenKeys(release.OfflineMailbox.databaseName("review-upgraded"), material);
    mailbox.close();
    return stolen;
  }, key);
  await oldPage.close();
  assert.equal(old.format, 2);

  const page = await newPage();
  const result = await page.evaluate(async ([key, key2, key3, oldKeys]) => {
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    const wasm = await init();
    const dbName = OfflineMailbox.databaseName("review-upgraded");
    const seen = new Set();
    const found = new Set();
    const look = async (material) => {
      const stolen = await stolenKeys(dbName, new Uint8Array(material));
      stolen.dataKeys.forEach((k) => seen.add(k));
      foundIn(wasm.memory, [...seen]).forEach((k) => found.add(k));
      return stolen;
    };
    // Upgraded at open, then its key changed at once (the raw key was in a JS
    // buffer moments before), while a second tab reads.
    const a = await OfflineMailbox.open({ userId: "review-upgraded", key: new Uint8Array(key) });
    const b = await OfflineMailbox.open({ userId: "review-upgraded", key: new Uint8Array(key) });
    await Promise.allSettled([
      a.changeKey({ key: new Uint8Array(key2) }),
      a.listMessages("inbox", { limit: 60, fields: "full" }),
      b.listMessages("inbox", { limit: 60, fields: "full" }),
      a.putMessages(someMessages(60, 20, "inbox")),
    ]);
    const afterChange = await look(key2);
    foundIn(wasm.memory, oldKeys).forEach((k) => found.add(k));
    // A rotation and another key change overlapping reads and writes.
    await Promise.allSettled([
      a.rotateDataKey(),
      a.listMessages("inbox", { limit: 80, fields: "full" }),
      a.putMessages(someMessages(80, 20, "inbox")),
      a.getMessage("m-3"),
    ]);
    const afterRotation = await look(key2);
    await Promise.allSettled([a.changeKey({ key: new Uint8Array(key3) }), a.listMessages("inbox", { limit: 100 })]);
    await a.rotateDataKey();
    await a.listMessages("inbox", { limit: 100, fields: "full" });
    const last = await look(key3);
    const blind = foundIn(wasm.memory, [last.blindKey]).length;
    a.close();
    b.close();
    return {
      formats: [afterChange.format, afterRotation.format, last.format],
      keysSeen: seen.size,
      found: [...found],
      blind,
    };
  }, [key, key2, key3, old.dataKeys]).catch((e) => ({ error: String(e) }));
  await page.close();
  assert.equal(result.error, undefined, result.error);
  assert.deepEqual(result.formats, [3, 3, 3]);
  assert.ok(result.keysSeen >= 3, `data keys learned: ${result.keysSeen}`);
  assert.equal(result.blind, 1, "control: the blind key is found");
  assert.deepEqual(result.found, [], "no data key (old, rotated, re-wrapped) in WebAssembly memory");
});

test("a format-2 keyring put back after the upgrade and a rotation is refused, and nothing is lost", async () => {
  const key = Array(32).fill(0).map((_, i) => (i * 5 + 7) & 255);
  const oldPage = await newPage();
  const format2 = await oldPage.evaluate(async (key) => {
    const release = await import("/old/offline_mailbox.js");
    await release.default();
    const mailbox = await release.OfflineMailbox.open({ userId: "review-putback", key: new Uint8Array(key) });
    await mailbox.enableOffline();
    await mailbox.putMessages(someMessages(0, 30, "inbox"));
    mailbox.close();
    return rawMeta(release.OfflineMailbox.databaseName("review-putback"), "keyring");
  }, key);
  await oldPage.close();
  assert.equal(format2[0], 2);

  const page = await newPage();
  const result = await page.evaluate(async ([key, format2]) => {
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await init();
    const dbName = OfflineMailbox.databaseName("review-putback");
    const code = (p) => p.then(() => "ok", (e) => e.code);
    const readable = async (m) => {
      let n = 0;
      for (let i = 0; i < 30; i++) if (await m.getMessage(`m-${i}`).catch(() => null)) n++;
      return n;
    };
    const out = {};
    // Put back after the upgrade alone: the same data key, it opens (and is upgraded again).
    let a = await OfflineMailbox.open({ userId: "review-putback", key: new Uint8Array(key) });
    a.close();
    out.upgraded = (await rawMeta(dbName, "keyring", null))[0];
    await rawMeta(dbName, "keyring", format2);
    a = await OfflineMailbox.open({ userId: "review-putback", key: new Uint8Array(key) });
    out.afterPutBack = await readable(a);
    out.reupgraded = (await rawMeta(dbName, "keyring", null))[0];
    // Then a rotation retires the data key; the format-2 copy put back must not open.
    await a.rotateDataKey();
    a.close();
    const current = await rawMeta(dbName, "keyring", format2);
    out.openWithOld = await code(OfflineMailbox.open({ userId: "review-putback", key: new Uint8Array(key) }));
    await rawMeta(dbName, "keyring", current);
    a = await OfflineMailbox.open({ userId: "review-putback", key: new Uint8Array(key) });
    out.afterRestore = await readable(a);
    await a.wipe();
    return out;
  }, [key, format2]);
  await page.close();
  assert.deepEqual(result, { upgraded: 3, afterPutBack: 30, reupgraded: 3, openWithOld: "Integrity", afterRestore: 30 });
});

test("a state sealed under the data key by the old release, put back later, is a rollback", async () => {
  const key = Array(32).fill(0).map((_, i) => (i * 3 + 1) & 255);
  const oldPage = await newPage();
  const oldState = await oldPage.evaluate(async (key) => {
    const release = await import("/old/offline_mailbox.js");
    await release.default();
    const mailbox = await release.OfflineMailbox.open({ userId: "review-old-state", key: new Uint8Array(key) });
    await mailbox.enableOffline();
    await mailbox.putMessages(someMessages(0, 10, "inbox"));
    mailbox.close();
    return rawMeta(release.OfflineMailbox.databaseName("review-old-state"), "state");
  }, key);
  await oldPage.close();

  const page = await newPage();
  const result = await page.evaluate(async ([key, oldState]) => {
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await init();
    const dbName = OfflineMailbox.databaseName("review-old-state");
    const code = (p) => p.then(() => "ok", (e) => e.code);
    const out = {};
    let a = await OfflineMailbox.open({ userId: "review-old-state", key: new Uint8Array(key) });
    await a.putMessages(someMessages(10, 5, "inbox"));
    const epoch = a.epoch;
    // Under the open mailbox: the old release's state (sealed under the data key) put back.
    await rawMeta(dbName, "state", oldState);
    out.readUnderOpen = await code(a.folders());
    out.writeUnderOpen = await code(a.putMessages(someMessages(20, 1, "inbox")));
    a.close();
    out.openWithEpoch = await code(OfflineMailbox.open({ userId: "review-old-state", key: new Uint8Array(key), expectedEpoch: epoch }));
    return out;
  }, [key, oldState]);
  await page.close();
  assert.deepEqual(result, { readUnderOpen: "Rollback", writeUnderOpen: "Closed", openWithEpoch: "Rollback" });
});
