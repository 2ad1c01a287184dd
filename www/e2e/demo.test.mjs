// The demo client in Chromium: it loads the package, syncs from the org-server
// stand-in, stores encrypted, reads back, and never leaves 127.0.0.1.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startDemo } from "../server.mjs";
import { guardNetwork, launchBrowser, rawIndexedDbText } from "./browser.mjs";

let demo;
let browser;

before(async () => {
  demo = await startDemo({ port: 0, orgPort: 0 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.close();
});

test("the demo stores mail encrypted, reads it back, and wipes it", async () => {
  const requests = await guardNetwork(browser.context);
  const page = await browser.context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error));
  await page.goto(demo.url);
  await page.waitForSelector("body[data-ready=true]");

  await page.click("#sync");
  await page.waitForFunction(() => document.querySelectorAll("#messages li").length === 2);
  const subjects = await page.$$eval("#messages .subject", (nodes) => nodes.map((n) => n.textContent));
  assert.deepEqual(subjects, ["Welcome to offline mail", "Grüße aus Zürich — 会议纪要"]);
  assert.match(await page.textContent("#status"), /Stored 2 messages/);

  const stored = await rawIndexedDbText(page);
  assert.ok(stored.includes("offline-mailbox-"), "the user's database exists");
  for (const secret of ["Welcome to offline mail", "Grüße", "meganb@contoso.example", "demo-user"]) {
    assert.ok(!stored.includes(secret), `"${secret}" must not be readable in IndexedDB`);
  }

  await page.click("#wipe");
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("wiped"));
  const databases = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
  assert.deepEqual(databases, []);

  assert.deepEqual(errors, []);
  const offHost = requests.filter((url) => url.hostname !== "127.0.0.1");
  assert.deepEqual(offHost.map(String), [], "no request may leave 127.0.0.1");
  const orgPaths = demo.org.requests.map((r) => r.path);
  assert.deepEqual(orgPaths, ["/api/offline-key", "/api/messages"]);
  assert.ok(demo.org.requests.every((r) => r.referer === null), "org requests carry no referrer");
});
