// A mailbox written by the schema-5 release (www/e2e/fixtures/schema5-release: a
// search index over messages alone) opens with the current build, which indexes it
// again before `open` resolves, contacts and events included, and closes a tab
// still running the schema-5 build, which would write contacts and events without
// indexing them.
// Needs target/corpus (scripts/test.sh generates it with tools/corpus).
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { launchBrowser } from "./browser.mjs";
import { LEGACY_CONTACTS as CONTACTS, LEGACY_EVENTS as EVENTS, LEGACY_SEARCHES } from "./legacy-people.mjs";
import { startSite } from "./site.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const MESSAGES = 300;

let site;
let browser;

before(async () => {
  site = await startSite({
    "/old/": join(root, "www", "e2e", "fixtures", "schema5-release"),
    "/pkg/": join(root, "pkg"),
    "/corpus/": join(root, "target", "corpus"),
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  site?.close();
});

async function newPage() {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(300_000);
  await page.goto(`${site.origin}/`);
  return page;
}

/** In `page`: the schema-5 release writes messages, contacts and events, searches once, and (unless `keepOpen`) closes. */
function writeWithSchema5(page, userId, keepOpen) {
  return page.evaluate(async ([userId, count, contacts, events, keepOpen]) => {
    const old = await import("/old/offline_mailbox.js");
    await old.default();
    const load = async (name) => (await fetch(`/corpus/${name}.json`)).json();
    const [folders, all] = await Promise.all([load("folders"), load("messages")]);
    const mailbox = await old.OfflineMailbox.open({ userId, key: new Uint8Array(32).fill(3) });
    await mailbox.enableOffline();
    await mailbox.putFolders(folders);
    await mailbox.putMessages(all.slice(0, count));
    await mailbox.putContacts(contacts);
    await mailbox.putEvents(events);
    const found = (await mailbox.search("money", { limit: 1000 })).value.length;
    if (keepOpen) window.oldMailbox = mailbox;
    else mailbox.close();
    return found;
  }, [userId, MESSAGES, CONTACTS, EVENTS, keepOpen]);
}

test("a mailbox of the schema-5 release is indexed again while opening, contacts and events included", async () => {
  const page = await newPage();
  const userId = "schema5-user";
  assert.ok(await writeWithSchema5(page, userId, false) > 0, "the schema-5 index answers");
  const after = await page.evaluate(async (userId) => {
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await init();
    const progress = [];
    const mailbox = await OfflineMailbox.open({
      userId, key: new Uint8Array(32).fill(3), onUpgradeProgress: ({ done, total }) => progress.push(`${done}/${total}`),
    });
    const searches = [];
    for (const query of ["money", "the", "please", "is:read"]) {
      const ids = async (options) => (await mailbox.search(query, { limit: 10000, ...options })).value.map((m) => m.id);
      searches.push([query, await ids({}), await ids({ scan: true })]);
    }
    const march = { start: "2024-03-01T00:00:00Z", end: "2024-04-01T00:00:00Z" };
    const people = {
      oldfield: (await mailbox.searchContacts("oldfield")).map((c) => c.id),
      contoso: (await mailbox.searchContacts("contoso")).map((c) => c.id),
      harbour: (await mailbox.searchEvents("harbour pier", march)).map((e) => e.id),
      room: (await mailbox.searchEvents("room", march)).map((e) => e.id),
    };
    await mailbox.wipe();
    return { progress, searches, people };
  }, userId);
  const total = MESSAGES + CONTACTS.length + EVENTS.length;
  assert.equal(after.progress.at(-1), `${total}/${total}`, `indexed while opening: ${after.progress.join(" ")}`);
  for (const [query, indexed, scanned] of after.searches) {
    assert.ok(indexed.length > 0, `${query} finds messages`);
    assert.deepEqual(indexed, scanned, `${query}: the index built at open answers as a scan does`);
  }
  assert.deepEqual(after.people, LEGACY_SEARCHES);
  await page.close();
});

test("a tab still running the schema-5 build is closed by the upgrade, and that build then refuses the database", async () => {
  const userId = "schema5-tabs";
  const oldTab = await newPage();
  await writeWithSchema5(oldTab, userId, true);

  const newTab = await newPage();
  const found = await newTab.evaluate(async (userId) => {
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await init();
    const mailbox = await OfflineMailbox.open({ userId, key: new Uint8Array(32).fill(3) });
    const contacts = (await mailbox.searchContacts("oldfield")).map((c) => c.id);
    mailbox.close();
    return contacts;
  }, userId);
  assert.deepEqual(found, ["legacy-c1"], "the upgrade did not wait on the old tab");

  const old = await oldTab.evaluate(async (userId) => {
    const code = (promise) => promise.then(() => "resolved", (e) => e.code ?? String(e));
    const write = await code(window.oldMailbox.putContacts([{ id: "legacy-c3", displayName: "Unindexed Person" }]));
    const { OfflineMailbox } = await import("/old/offline_mailbox.js");
    const reopen = await code(OfflineMailbox.open({ userId, key: new Uint8Array(32).fill(3) }));
    return { write, reopen };
  }, userId);
  assert.notEqual(old.write, "resolved", "the old tab writes nothing after the upgrade");
  assert.equal(old.reopen, "VersionTooNew");

  await newTab.evaluate(async (userId) => {
    const { OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await OfflineMailbox.wipeUser(userId);
  }, userId);
  await oldTab.close();
  await newTab.close();
});
