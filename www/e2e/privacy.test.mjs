// The privacy promises, checked with network interception against the org-server
// stand-in: photo and card lookups go only to the org origin, only for the
// organization's addresses, only when the policy allows; photos revalidate with
// If-None-Match; concurrent lookups share one request; redirects are not
// followed; a protected message's body is never stored.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { guardNetwork, rawIndexedDbText } from "./browser.mjs";
import { demoPage, startDemoEnv } from "./demo-env.mjs";

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
    ["/ews/Exchange.asmx/s/GetUserPhoto", "?email=MeganB%40contoso.example&size=HR240x240"],
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
