// The demo client in Chromium: it loads the package, syncs from the org-server
// stand-in, stores encrypted, reads back, and never leaves 127.0.0.1.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { guardNetwork, rawIndexedDbText } from "./browser.mjs";
import { demoPage, startDemoEnv } from "./demo-env.mjs";

let env;

before(async () => {
  env = await startDemoEnv();
});

after(() => env?.close());

test("the demo stores mail only after offline is turned on, shows photos and cards, and wipes at sign-out", async () => {
  const requests = await guardNetwork(env.browser.context);
  const errors = [];
  env.browser.context.on("weberror", (error) => errors.push(error.error()));
  const page = await demoPage(env);

  await page.click("#sync");
  await page.waitForFunction(() => document.querySelectorAll("#messages li").length === 2);
  assert.match(await page.textContent("#status"), /nothing stored \(offline is off\)/);
  const before = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
  assert.deepEqual(before, [], "nothing is written before the user turns offline on");

  await page.check("#offline");
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("Stored 2"));
  const subjects = await page.$$eval("#messages .subject", (nodes) => nodes.map((n) => n.textContent));
  assert.deepEqual(subjects, ["Welcome to offline mail", "Grüße aus Zürich — 会议纪要"]);
  assert.equal(await page.locator("#messages img").count(), 2, "both senders' photos are shown");

  // The search box searches the encrypted offline copy as the user types.
  await page.fill("#search", "grusse zur");
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("1 message match"));
  assert.deepEqual(await page.$$eval("#messages .subject", (nodes) => nodes.map((n) => n.textContent)), ["Grüße aus Zürich — 会议纪要"]);
  await page.fill("#search", 'from:"unclosed');
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("is not closed"));
  await page.fill("#search", "");
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("Showing the inbox"));

  await page.click("#messages li:first-child");
  await page.waitForSelector("#card:not([hidden])");
  assert.match(await page.textContent("#card"), /Megan Bowen.*Marketing Manager/);

  const stored = await rawIndexedDbText(page);
  assert.ok(stored.includes("offline-mailbox-"), "the user's database exists");
  for (const secret of ["Welcome to offline mail", "Grüße", "meganb@contoso.example", "demo-user", "Megan Bowen"]) {
    assert.ok(!stored.includes(secret), `"${secret}" must not be readable in IndexedDB`);
  }

  await page.click("#signout");
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("Signed out"));
  const databases = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
  assert.deepEqual(databases, []);

  assert.deepEqual(errors, []);
  assert.deepEqual(requests.filter((url) => url.hostname !== "127.0.0.1").map(String), [], "no request may leave 127.0.0.1");
  const paths = new Set(env.demo.org.requests.filter((r) => r.method === "GET").map((r) => r.path));
  assert.deepEqual([...paths].sort(), ["/api/messages", "/api/offline-key", "/ews/Exchange.asmx/s/GetUserPhoto", "/users/meganb%40contoso.example"]);
  assert.ok(env.demo.org.requests.every((r) => r.referer === null), "org requests carry no referrer");
});
