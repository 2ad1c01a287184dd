// The privacy promises, checked with network interception against the org-server
// stand-in: photo and card lookups go only to the org origin, only for the
// organization's addresses, only when the policy allows; photos revalidate with
// If-None-Match; concurrent lookups share one request; redirects are not
// followed; a protected message's body is never stored; a look-alike address
// cannot reach another person's cache entry; no-store answers are not kept; a
// policy that turns photos or cards off empties their cache.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { guardNetwork, rawIndexedDbText } from "./browser.mjs";
import { demoPage, startDemoEnv } from "./demo-env.mjs";
import { DIRECTORY } from "../org-server.mjs";

let env;
let demo;
let browser;
let page;
let requests;

before(async () => {
  env = await startDemoEnv();
  ({ demo, browser } = env);
  requests = await guardNetwork(browser.context);
  page = await demoPage(env);
  await page.evaluate(async (orgServer) => {
    const { OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    window.OfflineMailbox = OfflineMailbox;
    window.openMailbox = async (userId, extra = {}) => {
      const mailbox = await OfflineMailbox.open({
        userId, key: new Uint8Array(32).fill(9), orgServer, orgDomains: ["contoso.example"], computer: "private", ...extra,
      });
      await mailbox.enableOffline();
      return mailbox;
    };
    window.bytes = async (blob) => (blob ? Array.from(new Uint8Array(await blob.arrayBuffer())) : null);
  }, demo.org.origin);
});

after(() => env?.close());

beforeEach(() => {
  requests.length = 0;
  demo.org.requests.length = 0;
});


const lookups = () => demo.org.requests.filter((r) => r.method === "GET");

/** The byte length of each sealed value in the raw `directory` store of `userId`'s database, read with the browser's own API. */
const directorySizes = (userId) =>
  page.evaluate(async (userId) => {
    const request = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
    const db = await request(indexedDB.open(OfflineMailbox.databaseName(userId)));
    const records = await request(db.transaction("directory").objectStore("directory").getAll());
    db.close();
    return records.map((record) => record.v.byteLength);
  }, userId);

/** How many records that store holds. */
const directoryRecords = async (userId) => (await directorySizes(userId)).length;

test("with every flag on, every lookup request goes to the org origin, without referrer", async () => {
  const result = await page.evaluate(async () => {
    const mailbox = await openMailbox("privacy-all-on");
    const photo = await mailbox.senderPhoto("MeganB@contoso.example", { size: "HR240x240" });
    const fallback = await mailbox.senderPhoto("adelev@contoso.example", { size: "HR648x648" });
    const none = await mailbox.senderPhoto("alexw@contoso.example");
    const card = await mailbox.contactCard("adelev@contoso.example");
    const graph = await (await openMailbox("privacy-graph", { photoApi: "graph" })).senderPhoto("meganb@contoso.example", { size: "HR48x48" });
    await mailbox.wipe();
    return { photoType: photo?.type, fallback: await fallback?.text(), none, card, graphType: graph?.type };
  });
  assert.equal(result.photoType, "image/svg+xml");
  assert.match(result.fallback, /width="96"/, "a size the person lacks falls back to the largest they have");
  assert.equal(result.none, null);
  assert.equal(result.card.displayName, "Adele Vance");
  assert.equal(result.graphType, "image/svg+xml");

  const pageRequests = requests.filter((url) => url.pathname !== "/pkg/web/offline_mailbox.js");
  assert.ok(pageRequests.length >= 5, `lookups were made: ${pageRequests.length}`);
  assert.deepEqual(pageRequests.filter((url) => url.origin !== demo.org.origin).map(String), []);
  assert.deepEqual(lookups().map((r) => [r.path, r.query]), [
    ["/ews/Exchange.asmx/s/GetUserPhoto", "?email=meganb%40contoso.example&size=HR240x240"],
    ["/ews/Exchange.asmx/s/GetUserPhoto", "?email=adelev%40contoso.example&size=HR648x648"],
    ["/ews/Exchange.asmx/s/GetUserPhoto", "?email=alexw%40contoso.example&size=HR96x96"],
    ["/users/adelev%40contoso.example", ""],
    ["/users/meganb%40contoso.example/photos/48x48/$value", ""],
  ]);
  assert.ok(lookups().every((r) => r.referer === null), "no referrer is ever sent");
});

test("photos off, cards off, and people outside orgDomains cause zero requests", async () => {
  const result = await page.evaluate(async () => {
    const outside = await openMailbox("privacy-outside");
    const outsider = [await outside.senderPhoto("someone@fabrikam.example"), await outside.contactCard("someone@fabrikam.example"), await outside.senderPhoto("meganb@contoso.example.evil.example")];
    const mailbox = await openMailbox("privacy-flags-off", { policy: { displayPhotosEnabled: false, contactCardEnabled: false } });
    const photo = await mailbox.senderPhoto("meganb@contoso.example");
    let cardCode;
    try { await mailbox.contactCard("meganb@contoso.example"); } catch (e) { cardCode = e.code; }
    await mailbox.applyPolicy({ displayPhotosEnabled: true, contactCardEnabled: false });
    const afterPolicy = await mailbox.senderPhoto("meganb@contoso.example");
    await outside.wipe();
    await mailbox.wipe();
    return { outsider, photo, cardCode, afterPolicy: afterPolicy?.type };
  });
  assert.deepEqual(result.outsider, [null, null, null]);
  assert.equal(result.photo, null, "photos off: null, no request");
  assert.equal(result.cardCode, "PolicyDenied", "cards off: PolicyDenied, no request");
  assert.equal(result.afterPolicy, "image/svg+xml", "applyPolicy turns photos back on");
  assert.deepEqual(lookups().map((r) => r.query), ["?email=meganb%40contoso.example&size=HR96x96"]);
});

test("the second photo call sends If-None-Match and uses the 304", async () => {
  const result = await page.evaluate(async () => {
    const mailbox = await openMailbox("privacy-etag");
    const first = await bytes(await mailbox.senderPhoto("meganb@contoso.example"));
    const second = await bytes(await mailbox.senderPhoto("meganb@contoso.example"));
    const card1 = await mailbox.contactCard("meganb@contoso.example");
    const card2 = await mailbox.contactCard("meganb@contoso.example");
    await mailbox.wipe();
    return { same: JSON.stringify(first) === JSON.stringify(second), size: first.length, cards: card1.mail === card2.mail };
  });
  assert.ok(result.same && result.size > 100 && result.cards);
  const [first, second, card1, card2] = lookups();
  assert.equal(first.status, 200);
  assert.equal(first.ifNoneMatch, null);
  assert.equal(second.ifNoneMatch, '"meganb@contoso.example-HR96x96-v1"');
  assert.equal(second.status, 304);
  assert.deepEqual([card1.status, card2.status, card2.ifNoneMatch], [200, 304, '"card-meganb@contoso.example-v1"']);
});

test("ten concurrent calls for one address make one request; a 404 is not asked again at once", async () => {
  const result = await page.evaluate(async () => {
    const mailbox = await openMailbox("privacy-dedupe");
    const photos = await Promise.all(Array.from({ length: 10 }, () => mailbox.senderPhoto("adelev@contoso.example")));
    const missing = [await mailbox.senderPhoto("alexw@contoso.example"), await mailbox.senderPhoto("alexw@contoso.example")];
    await mailbox.wipe();
    return { photos: photos.filter((p) => p?.type === "image/svg+xml").length, missing };
  });
  assert.equal(result.photos, 10);
  assert.deepEqual(result.missing, [null, null]);
  assert.deepEqual(lookups().map((r) => [r.query, r.status]), [
    ["?email=adelev%40contoso.example&size=HR96x96", 200],
    ["?email=alexw%40contoso.example&size=HR96x96", 404],
  ]);
});

test("a redirect off the org origin is not followed", async () => {
  const photo = await page.evaluate(async () => {
    const mailbox = await openMailbox("privacy-redirect");
    const photo = await mailbox.senderPhoto("moved@contoso.example");
    await mailbox.wipe();
    return photo;
  });
  assert.equal(photo, null);
  assert.deepEqual(lookups().map((r) => r.status), [302]);
  assert.deepEqual(requests.filter((url) => url.hostname !== "127.0.0.1").map(String), []);
});

test("photos are cached sealed while offline is on, and only in memory while it is off", async () => {
  const offline = await page.evaluate(async () => {
    const mailbox = await openMailbox("privacy-cache");
    await mailbox.senderPhoto("meganb@contoso.example");
    await mailbox.contactCard("meganb@contoso.example");
    return OfflineMailbox.databaseName("privacy-cache");
  });
  const raw = await rawIndexedDbText(page);
  assert.ok(raw.includes("directory"), "the directory store exists");
  for (const secret of ["meganb", "Megan Bowen", "<svg", "Marketing Manager"]) assert.ok(!raw.includes(secret), `${secret} is not readable`);
  const online = await page.evaluate(async (name) => {
    await (await openMailbox("privacy-cache")).wipe();
    const mailbox = await OfflineMailbox.open({ userId: "privacy-memory", key: new Uint8Array(32), orgServer: window.location.origin.replace(/:\d+$/, ":1"), orgDomains: ["contoso.example"] });
    const names = (await indexedDB.databases()).map((d) => d.name);
    return { offlineEnabled: mailbox.offlineEnabled, stillThere: names.includes(name), anyForUser: names.includes(OfflineMailbox.databaseName("privacy-memory")) };
  }, offline);
  assert.deepEqual(online, { offlineEnabled: false, stillThere: false, anyForUser: false });
});

test("a KELVIN SIGN look-alike of an organization address is refused and does not poison the real person's cache", async () => {
  // "\u212Aim" lowercases by Unicode rules to "kim", but the server sees a different,
  // unknown address and answers 404: once shared, that 404 would hide Kim's photo for an hour.
  const result = await page.evaluate(async () => {
    const mailbox = await openMailbox("privacy-kelvin");
    const codes = [];
    for (const call of [() => mailbox.senderPhoto("\u212Aim@contoso.example"), () => mailbox.contactCard("\u212Aim@contoso.example")]) {
      try {
        codes.push(`resolved ${await call()}`);
      } catch (e) {
        codes.push(e.code);
      }
    }
    const photo = await mailbox.senderPhoto("kim@contoso.example");
    const card = await mailbox.contactCard("KIM@Contoso.example");
    await mailbox.wipe();
    return { codes, photo: photo?.type ?? null, card: card?.displayName ?? null };
  });
  assert.equal(result.photo, "image/svg+xml", "Kim's photo is still returned");
  assert.equal(result.card, "Kim Akers");
  assert.deepEqual(result.codes, ["InvalidInput", "InvalidInput"]);
  assert.deepEqual(lookups().map((r) => [r.path, r.query, r.status, r.ifNoneMatch]), [
    ["/ews/Exchange.asmx/s/GetUserPhoto", "?email=kim%40contoso.example&size=HR96x96", 200, null],
    ["/users/kim%40contoso.example", "", 200, null],
  ], "no request for the look-alike; Kim's lookups use one lowercase spelling");
});

test("an answer marked Cache-Control: no-store is not kept: the next lookup asks afresh, without If-None-Match", async () => {
  const result = await page.evaluate(async () => {
    const mailbox = await openMailbox("privacy-no-store");
    const photos = [await bytes(await mailbox.senderPhoto("nora@contoso.example")), await bytes(await mailbox.senderPhoto("nora@contoso.example"))];
    const cards = [await mailbox.contactCard("nora@contoso.example"), await mailbox.contactCard("nora@contoso.example")];
    return { same: JSON.stringify(photos[0]) === JSON.stringify(photos[1]) && photos[0].length > 100, cards: cards.map((c) => c?.displayName) };
  });
  assert.ok(result.same, "both calls return the photo");
  assert.deepEqual(result.cards, ["Nora Store", "Nora Store"]);
  assert.deepEqual(lookups().map((r) => [r.path, r.status, r.ifNoneMatch]), [
    ["/ews/Exchange.asmx/s/GetUserPhoto", 200, null],
    ["/ews/Exchange.asmx/s/GetUserPhoto", 200, null],
    ["/users/nora%40contoso.example", 200, null],
    ["/users/nora%40contoso.example", 200, null],
  ]);
  assert.equal(await directoryRecords("privacy-no-store"), 0, "nothing sealed into IndexedDB either");
  await page.evaluate(() => OfflineMailbox.wipeUser("privacy-no-store"));
});

test("a no-store answer also removes what was cached under that address before", async () => {
  const nora = DIRECTORY["nora@contoso.example"];
  nora.noStore = false;
  try {
    await page.evaluate(async () => {
      window.mailbox = await openMailbox("privacy-no-store-later");
      await mailbox.senderPhoto("nora@contoso.example");
    });
    assert.equal(await directoryRecords("privacy-no-store-later"), 1, "cached while the server allowed it");
    nora.noStore = true;
    const photos = await page.evaluate(async () => [
      (await mailbox.senderPhoto("nora@contoso.example"))?.type,
      (await mailbox.senderPhoto("nora@contoso.example"))?.type,
    ]);
    assert.deepEqual(photos, ["image/svg+xml", "image/svg+xml"]);
    assert.equal(await directoryRecords("privacy-no-store-later"), 0, "the earlier copy is gone");
  } finally {
    nora.noStore = true;
    await page.evaluate(() => window.mailbox?.wipe());
  }
  assert.deepEqual(lookups().map((r) => [r.status, r.ifNoneMatch]), [
    [200, null],
    [304, '"nora@contoso.example-HR96x96-v1"'],
    [200, null],
  ]);
});

test("turning photos or cards off empties the sealed directory store at once, and nothing cached is reused when back on", async () => {
  const on = { displayPhotosEnabled: true, contactCardEnabled: true };
  await page.evaluate(async () => {
    window.mailbox = await openMailbox("privacy-purge");
    await mailbox.senderPhoto("meganb@contoso.example");
    await mailbox.contactCard("meganb@contoso.example");
  });
  assert.equal(await directoryRecords("privacy-purge"), 2);
  await page.evaluate(() => mailbox.applyPolicy({ displayPhotosEnabled: false, contactCardEnabled: true }));
  assert.equal(await directoryRecords("privacy-purge"), 0, "emptied right after photos were turned off");
  await page.evaluate(async (on) => {
    await mailbox.applyPolicy(on);
    await mailbox.senderPhoto("meganb@contoso.example");
    await mailbox.contactCard("meganb@contoso.example");
  }, on);
  assert.equal(await directoryRecords("privacy-purge"), 2);
  await page.evaluate(() => mailbox.applyPolicy({ displayPhotosEnabled: true, contactCardEnabled: false }));
  assert.equal(await directoryRecords("privacy-purge"), 0, "emptied right after cards were turned off");
  await page.evaluate(() => mailbox.wipe());
  assert.deepEqual(lookups().map((r) => [r.path, r.status, r.ifNoneMatch]), [
    ["/ews/Exchange.asmx/s/GetUserPhoto", 200, null],
    ["/users/meganb%40contoso.example", 200, null],
    ["/ews/Exchange.asmx/s/GetUserPhoto", 200, null],
    ["/users/meganb%40contoso.example", 200, null],
  ], "after photos were off, both were fetched again without If-None-Match");
});

test("with offline off, turning photos off forgets the photos cached in memory", async () => {
  const result = await page.evaluate(async (orgServer) => {
    const mailbox = await OfflineMailbox.open({ userId: "privacy-purge-memory", key: new Uint8Array(32), orgServer, orgDomains: ["contoso.example"] });
    await mailbox.senderPhoto("meganb@contoso.example");
    await mailbox.senderPhoto("meganb@contoso.example");
    await mailbox.applyPolicy({ displayPhotosEnabled: false, contactCardEnabled: true });
    await mailbox.applyPolicy({ displayPhotosEnabled: true, contactCardEnabled: true });
    const photo = await mailbox.senderPhoto("meganb@contoso.example");
    const offline = mailbox.offlineEnabled;
    mailbox.close();
    return { offline, type: photo?.type };
  }, demo.org.origin);
  assert.deepEqual(result, { offline: false, type: "image/svg+xml" });
  assert.deepEqual(lookups().map((r) => [r.status, r.ifNoneMatch]), [
    [200, null],
    [304, '"meganb@contoso.example-HR96x96-v1"'],
    [200, null],
  ], "cached in memory (304) until photos were turned off, then fetched afresh");
});

test("sealed directory entries are padded to a size bucket, so their size does not tell whose they are", async () => {
  const lengths = await page.evaluate(async () => {
    window.mailbox = await openMailbox("privacy-padding");
    const cards = [await mailbox.contactCard("meganb@contoso.example"), await mailbox.contactCard("adelev@contoso.example")];
    await mailbox.senderPhoto("alexw@contoso.example"); // a remembered 404
    return cards.map((card) => JSON.stringify(card).length);
  });
  assert.notEqual(lengths[0], lengths[1], "the two cards differ in length");
  const sizes = await directorySizes("privacy-padding");
  assert.equal(sizes.length, 3);
  assert.equal(new Set(sizes).size, 1, `one stored size for all: ${sizes}`);
  await page.evaluate(() => mailbox.wipe());
});

test("a protected message is stored without its body", async () => {
  const secret = "TOP-SECRET-BODY-7f3a";
  const result = await page.evaluate(async (secret) => {
    const mailbox = await openMailbox("privacy-protected");
    await mailbox.putMessages([
      { id: "smime", parentFolderId: "inbox", subject: "Encrypted", body: { contentType: "text", content: secret }, bodyPreview: secret,
        internetMessageHeaders: [{ name: "Content-Type", value: "application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m" }] },
      { id: "rms", parentFolderId: "inbox", subject: "Rights-protected", body: { contentType: "html", content: `<p>${secret}</p>` },
        singleValueExtendedProperties: [{ id: "String 0x1A", value: "IPM.Note.rpmsg.Microsoft" }] },
      { id: "plain", parentFolderId: "inbox", subject: "Plain", body: { contentType: "text", content: "ordinary text" } },
    ]);
    const back = await Promise.all(["smime", "rms", "plain"].map((id) => mailbox.getMessage(id)));
    return back.map((m) => ({ body: m.body ?? null, preview: m.bodyPreview ?? null, withheld: m["@offlineMailbox.bodyWithheld"] ?? null }));
  }, secret);
  assert.deepEqual(result, [
    { body: null, preview: null, withheld: "smime" },
    { body: null, preview: null, withheld: "rightsProtected" },
    { body: { contentType: "text", content: "ordinary text" }, preview: null, withheld: null },
  ]);
  const raw = await rawIndexedDbText(page);
  assert.ok(!raw.includes(secret));
  await page.evaluate(() => OfflineMailbox.wipeUser("privacy-protected"));
});
