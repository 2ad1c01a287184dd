// Launches the browser under test through playwright-core with a fresh profile
// and no background networking; never downloads a browser. `E2E_BROWSER` picks
// it: Debian's Chromium (the default), or Debian's Firefox ESR, driven over
// WebDriver BiDi (playwright-core's "moz-firefox" channel, which drives a stock
// Firefox rather than Playwright's own build).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, firefox } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const FIREFOX = process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr";
/** "chromium" or "firefox". */
export const BROWSER = process.env.E2E_BROWSER === "firefox" ? "firefox" : "chromium";

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Firefox's own traffic (updates, remote settings, telemetry, captive portal checks) turned off. */
const FIREFOX_PREFS = {
  "app.update.enabled": false,
  "browser.backup.enabled": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "extensions.update.enabled": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "services.settings.server": "http://127.0.0.1:9/",
  "toolkit.telemetry.enabled": false,
};

/**
 * Opens a persistent context of the browser under test on `profile`. `quota`
 * (bytes) caps what each origin may store: Firefox takes it only at launch (its
 * temporary-storage limit); Chromium ignores it here and takes it per origin
 * from `enforceQuota`, at any time.
 */
export function launchContext(profile, { quota } = {}) {
  if (BROWSER === "firefox") {
    // An origin gets min(limit, max(limit / 5, 10 MiB)) of Firefox's temporary
    // storage limit: above 10 MiB, the limit must be five times the quota.
    const total = quota <= 10 * 1024 * 1024 ? quota : 5 * quota;
    const limit = quota ? { "dom.quotaManager.temporaryStorage.fixedLimit": Math.floor(total / 1024) } : {};
    return firefox.launchPersistentContext(profile, {
      channel: "moz-firefox",
      executablePath: FIREFOX,
      headless: true,
      firefoxUserPrefs: { ...FIREFOX_PREFS, ...limit },
    });
  }
  return chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** A fresh browser context (options as `launchContext`); `close()` also removes its profile. */
export async function launchBrowser(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), `offline-mailbox-${BROWSER}-`));
  const context = await launchContext(profile, options);
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close, profile, quota: options.quota };
}

/**
 * Lets `origin` store `bytes` from now on in `browser` (from `launchBrowser`),
 * keeping its profile: Chromium changes the quota in place; Firefox, which takes
 * it only at launch, is closed and launched again on the same profile (pages
 * close: open a new one). Resolves to the browser to use from then on.
 */
export async function changeQuota(browser, page, origin, bytes) {
  if (BROWSER !== "firefox") {
    await enforceQuota(browser, page, origin, bytes);
    return browser;
  }
  await browser.context.close();
  const context = await launchContext(browser.profile, { quota: bytes });
  const close = async () => {
    await context.close();
    rmSync(browser.profile, { recursive: true, force: true });
  };
  return { context, close, profile: browser.profile, quota: bytes };
}

/**
 * Lets `origin` store only `bytes` in `browser` (from `launchBrowser`): in
 * Chromium through the DevTools protocol, at any time; Firefox can only have
 * been launched with that quota, which this checks.
 */
export async function enforceQuota(browser, page, origin, bytes) {
  if (BROWSER === "firefox") {
    if (browser.quota !== bytes) throw new Error(`Firefox takes its quota at launch: launchBrowser({ quota: ${bytes} })`);
    return;
  }
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: bytes });
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
