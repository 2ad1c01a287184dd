// Probe (issue 11, storage budget): does deleting IndexedDB records free quota in
// Chromium right away? Fills an origin with a 6 MiB quota override until
// QuotaExceededError, deletes half, and tries to write again: before and after
// closing and reopening the database. Run: node bench/quota-probe.mjs
// Finding (Chromium 156): no. usage (file sizes) grows after the deletes (LevelDB
// tombstones), and every later put is refused, even a 100-byte one; evicting
// after QuotaExceeded cannot make room in the same moment, so a budget must act
// before the quota is reached.
import { launchBrowser } from "../www/e2e/browser.mjs";
import { startSite } from "../www/e2e/site.mjs";
const site = await startSite({});
const browser = await launchBrowser();
const page = await browser.context.newPage();
await page.goto(`${site.origin}/`);
const cdp = await browser.context.newCDPSession(page);
await cdp.send("Storage.overrideQuotaForOrigin", { origin: site.origin, quotaSize: 6 * 1024 * 1024 });
const out = await page.evaluate(async () => {
  const req = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
  const open = indexedDB.open("probe", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("s");
  const db = await req(open);
  const tx = (mode, fn) => new Promise((ok, fail) => { const t = db.transaction("s", mode); fn(t.objectStore("s")); t.oncomplete = () => ok("ok"); t.onabort = () => fail(t.error?.name); t.onerror = () => {}; });
  const blob = () => crypto.getRandomValues(new Uint8Array(40 * 1024));
  let n = 0, failed = null;
  for (; n < 400; n += 10) {
    try { await tx("readwrite", (s) => { for (let i = 0; i < 10; i++) s.put(blob(), n + i); }); } catch (e) { failed = e; break; }
  }
  const est1 = await navigator.storage.estimate();
  let smallPut;
  try { smallPut = await tx("readwrite", (s) => s.put(new Uint8Array(100), "tiny")); } catch (e) { smallPut = e; }
  let del;
  try { del = await tx("readwrite", (s) => { for (let i = 0; i < n / 2; i++) s.delete(i); }); } catch (e) { del = e; }
  const est2 = await navigator.storage.estimate();
  let afterDel;
  try { afterDel = await tx("readwrite", (s) => { for (let i = 0; i < 10; i++) s.put(blob(), 10000 + i); }); } catch (e) { afterDel = e; }
  let delPlusPut;
  try { delPlusPut = await tx("readwrite", (s) => { for (let i = n/2; i < n/2 + 20; i++) s.delete(i); s.put(new Uint8Array(1000), "x"); }); } catch (e) { delPlusPut = e; }
  db.close();
  await new Promise((ok) => setTimeout(ok, 4000));
  const est3 = await navigator.storage.estimate();
  const open2 = indexedDB.open("probe", 1);
  const db2 = await req(open2);
  let afterReopen;
  try {
    afterReopen = await new Promise((ok, fail) => { const t = db2.transaction("s", "readwrite"); const s2 = t.objectStore("s"); for (let i = 0; i < 10; i++) s2.put(blob(), 20000 + i); t.oncomplete = () => ok("ok"); t.onabort = () => fail(t.error?.name); });
  } catch (e) { afterReopen = e; }
  const est4 = await navigator.storage.estimate();
  return { stored: n, failed, usage1: est1.usage, smallPut, del, usage2: est2.usage, afterDel, delPlusPut, usage3: est3.usage, afterReopen, usage4: est4.usage };
});
console.log(out);
await browser.close(); site.close();
