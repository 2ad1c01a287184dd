// Launches Debian's Chromium through playwright-core with a fresh profile and no
// background networking; never downloads a browser.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** A fresh browser context; `close()` also removes its profile. */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), "offline-mailbox-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

/**
 * Records every request the context makes and aborts any that leaves loopback,
 * so a stray request fails loudly instead of reaching the network.
 */
export async function guardNetwork(context) {
  const requests = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    requests.push(url);
    if (url.hostname === "127.0.0.1") return route.continue();
    return route.abort("blockedbyclient");
  });
  return requests;
}

/** Every string and byte in the page origin's IndexedDB, as one string, read with the raw API. */
export async function rawIndexedDbText(page) {
  return page.evaluate(async () => {
    const request = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
    const parts = [];
    const add = (v) => {
      if (v == null) return;
      if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
        const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        parts.push(new TextDecoder("utf-8").decode(bytes), new TextDecoder("utf-16le").decode(bytes.subarray(0, bytes.length & ~1)));
      } else if (typeof v === "object") {
        for (const [k, x] of Object.entries(v)) { parts.push(k); add(x); }
      } else parts.push(String(v));
    };
    for (const { name } of await indexedDB.databases()) {
      parts.push(name);
      const db = await request(indexedDB.open(name));
      for (const store of db.objectStoreNames) {
        parts.push(store);
        const tx = db.transaction(store);
        add(await request(tx.objectStore(store).getAllKeys()));
        add(await request(tx.objectStore(store).getAll()));
      }
      db.close();
    }
    return parts.join("\n");
  });
}

/**
 * Makes `navigator.storage.estimate()` in `page` report `quota` bytes (its
 * usage stays real), as Chromium does on a nearly full disk; call before the
 * page loads.
 */
export async function reportQuota(page, quota) {
  await page.addInitScript((quota) => {
    const estimate = StorageManager.prototype.estimate;
    StorageManager.prototype.estimate = async function () {
      return { ...(await estimate.call(this)), quota };
    };
  }, quota);
}
