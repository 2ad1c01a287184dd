// A long offline session against the org-server stand-in's Graph subset: with the
// network to the org server cut (Playwright routing), 1,000 mixed actions are
// taken (read/unread, flags, categories, moves between Inbox and Archive, deletes
// to Deleted Items and for good); every UI-facing read reflects each at once; the
// tab is reloaded after the 500th; when the network returns one sync drains the
// outbox in order, and the server then holds exactly the expected state:
// 0 lost, 0 duplicated, 0 out of order. Deterministic: a seeded PRNG, no timing.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { startOrgServer } from "../org-server.mjs";
import { guardNetwork, launchBrowser } from "./browser.mjs";
import { prng } from "./prng.mjs";
import { startSite } from "./site.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const INBOX = "AAMkInbox";
const ARCHIVE = "AAMkArchive";
const DELETED = "AAMkDeleted";
const FOLDERS = [INBOX, ARCHIVE, DELETED];
const USER = "offline-1000";
const KEY_FILL = 7;
const ACTIONS = 1000;
const RELOAD_AFTER = 500;
const BATCH = 50;
const CATEGORIES = ["Blue category", "Green category", "Red category"];
const FLAGS = ["notFlagged", "flagged", "complete"];

const day = (n) => `2024-05-${String(n).padStart(2, "0")}`;
const initialMessages = [...Array(300).keys()].map((i) => ({
  id: `msg-${i}`,
  parentFolderId: i < 250 ? INBOX : ARCHIVE,
  conversationId: `conv-${i % 50}`,
  subject: `Message ${i}`,
  receivedDateTime: `${day(1 + (i % 28))}T${String(i % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00Z`,
  isRead: i % 3 === 0,
  flag: { flagStatus: i % 7 === 0 ? "flagged" : "notFlagged" },
  categories: i % 5 === 0 ? ["Blue category"] : [],
  body: { contentType: "text", content: `Body ${i}` },
}));
const graph = {
  mailFolders: [
    { id: INBOX, displayName: "Inbox", wellKnownName: "inbox" },
    { id: ARCHIVE, displayName: "Archive", wellKnownName: "archive" },
    { id: DELETED, displayName: "Deleted Items", wellKnownName: "deleteditems" },
    { id: "AAMkDrafts", displayName: "Drafts", wellKnownName: "drafts" },
    { id: "AAMkSent", displayName: "Sent Items", wellKnownName: "sentitems" },
  ],
  messages: initialMessages,
  contacts: [],
  events: [],
};

// ---------------------------------------------------------------------------
// The plan: 1,000 actions drawn from a seeded PRNG, and the model they lead to.

/** A message's state as the model keeps it (what the UI and, in the end, the server show). */
const view = (m) => ({ parentFolderId: m.parentFolderId, isRead: m.isRead, flag: { flagStatus: m.flag.flagStatus }, categories: [...m.categories] });

/**
 * Every action (each a toggle to a value other than the current one, as a UI
 * offers), the model after each, and the model at the end. `local` is the offline
 * copy (deleted messages leave it at once); `deleted` says how each deleted one went.
 */
function plan(seed) {
  const random = prng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const local = new Map(initialMessages.map((m) => [m.id, view(m)]));
  const deleted = new Map(); // id -> "trash" | "permanent"
  const actions = [];
  const alive = () => [...local.keys()];
  // Most actions fall on a hot set of 40 messages, so they coalesce heavily.
  const hot = initialMessages.slice(0, 40).map((m) => m.id);
  const target = () => {
    const pool = random() < 0.7 ? hot.filter((id) => local.has(id)) : alive();
    return pick(pool.length ? pool : alive());
  };
  const targets = (sameFolder) => {
    const first = target();
    const ids = [first];
    if (random() < 0.15) {
      const extra = 1 + Math.floor(random() * 2);
      for (let tries = 0; ids.length < 1 + extra && tries < 50; tries++) {
        const id = pick(alive());
        if (!ids.includes(id) && (!sameFolder || local.get(id).parentFolderId === local.get(first).parentFolderId)) ids.push(id);
      }
    }
    return ids;
  };
  for (let n = 0; n < ACTIONS; n++) {
    const roll = random();
    let action;
    if (roll < 0.3) {
      const ids = targets(true);
      // Same value for every id: the first one's toggled; the others must differ too.
      const isRead = !local.get(ids[0]).isRead;
      action = { kind: "markRead", ids: ids.filter((id) => local.get(id).isRead !== isRead), isRead };
      for (const id of action.ids) local.get(id).isRead = isRead;
    } else if (roll < 0.5) {
      const ids = targets(false);
      const flagStatus = pick(FLAGS.filter((f) => f !== local.get(ids[0]).flag.flagStatus));
      action = { kind: "setFlag", ids: ids.filter((id) => local.get(id).flag.flagStatus !== flagStatus), flagStatus };
      for (const id of action.ids) local.get(id).flag = { flagStatus };
    } else if (roll < 0.68) {
      const ids = targets(false);
      let categories;
      do categories = CATEGORIES.filter(() => random() < 0.4);
      while (JSON.stringify(categories) === JSON.stringify(local.get(ids[0]).categories));
      const key = JSON.stringify(categories);
      action = { kind: "setCategories", ids: ids.filter((id) => JSON.stringify(local.get(id).categories) !== key), categories };
      for (const id of action.ids) local.get(id).categories = [...categories];
    } else if (roll < 0.97) {
      const ids = targets(true);
      const folderId = local.get(ids[0]).parentFolderId === INBOX ? ARCHIVE : INBOX;
      action = { kind: "move", ids, folderId };
      for (const id of ids) local.get(id).parentFolderId = folderId;
    } else {
      const permanent = roll >= 0.985;
      const ids = [target()];
      action = { kind: "delete", ids, permanent };
      for (const id of ids) {
        local.delete(id);
        deleted.set(id, permanent ? "permanent" : "trash");
      }
    }
    actions.push({ ...action, n, expect: Object.fromEntries(action.ids.map((id) => [id, local.has(id) ? structuredClone(local.get(id)) : null])), counts: counts(local) });
  }
  return { actions, local, deleted };
}

/** [id, total, unread] of the three folders, as the offline copy should count them. */
function counts(local) {
  return FOLDERS.map((f) => {
    const here = [...local.values()].filter((m) => m.parentFolderId === f);
    return [f, here.length, here.filter((m) => !m.isRead).length];
  });
}

const { actions, local: finalLocal, deleted } = plan(0x0ff11e);
const initial = new Map(initialMessages.map((m) => [m.id, view(m)]));

/**
 * The server's state the sync must leave: every change of a message still here;
 * a message deleted to Deleted Items is there as the server last had it (a delete
 * replaces the actions before it, as README says); one deleted for good is gone.
 */
const expectedServer = new Map(initialMessages.flatMap((m) => {
  const how = deleted.get(m.id);
  if (how === "permanent") return [];
  if (how === "trash") return [[m.id, { ...initial.get(m.id), parentFolderId: DELETED }]];
  return [[m.id, finalLocal.get(m.id)]];
}));

/**
 * The outbox the actions must leave, as pendingActions() describes it (order
 * aside): one entry per changed field of a message still here (a change back
 * cancels, two moves keep the last), and only the delete for a deleted one.
 */
const expectedPending = initialMessages.flatMap(({ id }) => {
  if (deleted.has(id)) return [{ kind: "delete", id, permanent: deleted.get(id) === "permanent" }];
  const [was, now] = [initial.get(id), finalLocal.get(id)];
  const out = [];
  if (was.isRead !== now.isRead) out.push({ kind: "markRead", id, isRead: now.isRead });
  if (was.flag.flagStatus !== now.flag.flagStatus) out.push({ kind: "setFlag", id, flag: now.flag });
  if (JSON.stringify(was.categories) !== JSON.stringify(now.categories)) out.push({ kind: "setCategories", id, categories: now.categories });
  if (was.parentFolderId !== now.parentFolderId) out.push({ kind: "move", id, folderId: now.parentFolderId });
  return out;
});

/** The Graph call that carries a pending action: "METHOD path body". */
function requestOf(action) {
  const path = `/v1.0/me/messages/${encodeURIComponent(action.id)}`;
  switch (action.kind) {
    case "markRead": return `PATCH ${path} ${JSON.stringify({ isRead: action.isRead })}`;
    case "setFlag": return `PATCH ${path} ${JSON.stringify({ flag: action.flag })}`;
    case "setCategories": return `PATCH ${path} ${JSON.stringify({ categories: action.categories })}`;
    case "move": return `POST ${path}/move ${JSON.stringify({ destinationId: action.folderId })}`;
    case "delete": return action.permanent ? `POST ${path}/permanentDelete ` : `DELETE ${path} `;
    default: throw new Error(`unexpected pending action ${action.kind}`);
  }
}
const canonical = (a) => JSON.stringify(Object.fromEntries(Object.keys(a).sort().map((k) => [k, a[k]])));
const sortedCanonical = (list) => list.map(canonical).sort();

// ---------------------------------------------------------------------------

let site;
let org;
let browser;
let page;
let requests;
const cut = (route) => route.abort("internetdisconnected");

/** Opens the mailbox in the page (again after a reload) and installs the helpers. */
async function openMailbox() {
  await page.evaluate(async ({ orgServer, USER, KEY_FILL, FOLDERS }) => {
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await init();
    const mailbox = await OfflineMailbox.open({ userId: USER, key: new Uint8Array(32).fill(KEY_FILL), orgServer,
      retention: { mailDays: 36500, calendarPastDays: 36500 } });
    await mailbox.enableOffline();
    window.mailbox = mailbox;
    const fields = (m) => m && { parentFolderId: m.parentFolderId, isRead: m.isRead, flag: m.flag, categories: m.categories };
    window.counts = async () => {
      const all = await mailbox.folders();
      return FOLDERS.map((id) => { const f = all.find((x) => x.id === id); return [id, f?.totalItemCount, f?.unreadItemCount]; });
    };
    /** Every message of the three folders, by listing (summaries), as id -> fields. */
    window.listing = async () => {
      const out = {};
      const duplicates = [];
      for (const folder of FOLDERS) {
        let cursor;
        do {
          const page = await mailbox.listMessages(folder, { limit: 100, cursor });
          for (const m of page.value) {
            if (out[m.id]) duplicates.push(m.id);
            out[m.id] = { ...fields(m), listedIn: folder };
          }
          cursor = page.nextCursor;
        } while (cursor);
      }
      return { messages: out, duplicates };
    };
    /** Whole messages by getMessage. */
    window.getAll = async (ids) => Object.fromEntries(await Promise.all(ids.map(async (id) => [id, fields(await mailbox.getMessage(id))])));
    /** Takes each action, then reads back each of its messages and the folder counts at once. */
    window.take = async (batch) => {
      const seen = [];
      for (const a of batch) {
        if (a.kind === "markRead") await mailbox.markRead(a.ids, a.isRead);
        else if (a.kind === "setFlag") await mailbox.setFlag(a.ids, { flagStatus: a.flagStatus });
        else if (a.kind === "setCategories") await mailbox.setCategories(a.ids, a.categories);
        else if (a.kind === "move") await mailbox.move(a.ids, a.folderId);
        else await mailbox.delete(a.ids, { permanent: a.permanent });
        seen.push({ n: a.n, messages: await window.getAll(a.ids), counts: await window.counts() });
      }
      return seen;
    };
  }, { orgServer: org.origin, USER, KEY_FILL, FOLDERS });
}

const listing = () => page.evaluate(() => window.listing());
const getAll = (ids) => page.evaluate((ids) => window.getAll(ids), ids);
const pending = () => page.evaluate(() => window.mailbox.pendingActions());
const sync = () => page.evaluate(async () => {
  try {
    return { report: await window.mailbox.sync({ getAccessToken: async () => "token", folders: ["inbox", "archive", "deleteditems"], contacts: false, pageSize: 100 }) };
  } catch (error) {
    return { error: `${error.code}: ${error.message}` };
  }
});

/** The listing must be the model's offline copy exactly: each message once, in its folder, with its fields. */
function assertListingIsModel(list, model, when) {
  assert.deepEqual(list.duplicates, [], `${when}: listed twice`);
  const expected = Object.fromEntries([...model].map(([id, m]) => [id, { ...m, listedIn: m.parentFolderId }]));
  const missing = Object.keys(expected).filter((id) => !list.messages[id]);
  const extra = Object.keys(list.messages).filter((id) => !expected[id]);
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${when}: listing and model hold different messages`);
  const wrong = Object.keys(expected).filter((id) => JSON.stringify(list.messages[id]) !== JSON.stringify(expected[id]));
  assert.deepEqual(wrong.map((id) => ({ id, listed: list.messages[id], model: expected[id] })), [], `${when}: listing differs from the model`);
}

/** The model's offline copy after action `n` (replaying the plan's snapshots). */
function modelAfter(n) {
  const model = new Map(initialMessages.map((m) => [m.id, view(m)]));
  for (const a of actions.slice(0, n)) for (const [id, m] of Object.entries(a.expect)) m ? model.set(id, m) : model.delete(id);
  return model;
}

before(async () => {
  site = await startSite({ "/pkg/": join(root, "pkg") });
  org = await startOrgServer({ appOrigin: site.origin, graph });
  browser = await launchBrowser();
  requests = await guardNetwork(browser.context);
  page = await browser.context.newPage();
  page.setDefaultTimeout(120_000);
  await page.goto(`${site.origin}/`);
  await openMailbox();
});

after(async () => {
  await browser?.close();
  await org?.close();
  site?.close();
});

test("the plan is the mix the requirement asks for", () => {
  const kinds = {};
  for (const a of actions) {
    const k = a.kind === "delete" ? (a.permanent ? "delete-permanent" : "delete-trash") : a.kind === "markRead" ? `markRead-${a.isRead}` : a.kind;
    kinds[k] = (kinds[k] ?? 0) + 1;
  }
  assert.equal(actions.length, ACTIONS);
  assert.ok(actions.every((a) => a.ids.length >= 1), "every action has a message");
  for (const k of ["markRead-true", "markRead-false", "setFlag", "setCategories", "move", "delete-trash", "delete-permanent"]) {
    assert.ok(kinds[k] >= 5, `${k}: ${kinds[k]} (${JSON.stringify(kinds)})`);
  }
  assert.ok(expectedPending.length < ACTIONS / 2, `coalescing is exercised: ${expectedPending.length} entries expected`);
});

test("a first sync online pulls the three folders", async () => {
  const { report, error } = await sync();
  assert.equal(error, undefined, error);
  assert.equal(report.failed, 0);
  assertListingIsModel(await listing(), initial, "after the first sync");
  assert.deepEqual(await page.evaluate(() => window.counts()), counts(initial));
  assert.deepEqual(await pending(), []);
});

let pendingBeforeSync;

test("offline: 1,000 actions, each visible at once, with a reload after the 500th", async () => {
  await page.route(`${org.origin}/**`, cut);
  // The cut is real: a request from the page to the org server fails.
  const probe = await page.evaluate((url) => fetch(url).then(() => "reached", () => "failed"), `${org.origin}/api/messages`);
  assert.equal(probe, "failed");
  const graphRequestsBefore = org.graphLog.length;

  for (let from = 0; from < ACTIONS; from += BATCH) {
    if (from === RELOAD_AFTER) {
      const before = await pending();
      assert.ok(before.length > 0, "actions wait in the outbox");
      await page.reload();
      await openMailbox();
      const afterReload = await pending();
      assert.deepEqual(afterReload, before, "the outbox is the same after the reload");
      const model = modelAfter(RELOAD_AFTER);
      assertListingIsModel(await listing(), model, "after the reload");
      const whole = await getAll(initialMessages.map((m) => m.id));
      const wrong = initialMessages.map((m) => m.id).filter((id) => JSON.stringify(whole[id]) !== JSON.stringify(model.get(id) ?? null));
      assert.deepEqual(wrong, [], "getMessage after the reload shows every action");
      assert.deepEqual(await page.evaluate(() => window.counts()), counts(model), "folder counts after the reload");
    }
    const batch = actions.slice(from, from + BATCH);
    const seen = await page.evaluate((batch) => window.take(batch), batch.map(({ expect, counts, ...a }) => a));
    const wrong = [];
    for (const [i, a] of batch.entries()) {
      const got = seen[i];
      for (const id of a.ids) {
        if (JSON.stringify(got.messages[id]) !== JSON.stringify(a.expect[id])) wrong.push({ n: a.n, kind: a.kind, id, got: got.messages[id], want: a.expect[id] });
      }
      if (JSON.stringify(got.counts) !== JSON.stringify(a.counts)) wrong.push({ n: a.n, kind: a.kind, counts: got.counts, want: a.counts });
    }
    assert.deepEqual(wrong, [], `actions ${from}..${from + BATCH - 1}: a read did not reflect the action at once`);
    assertListingIsModel(await listing(), modelAfter(from + BATCH), `after action ${from + BATCH - 1}`);
  }

  assert.equal(org.graphLog.length, graphRequestsBefore, "no Graph request reached the server while the network was cut");
  pendingBeforeSync = await pending();
  assert.ok(pendingBeforeSync.every((p) => p.failure === undefined), "nothing refused");
  assert.deepEqual(sortedCanonical(pendingBeforeSync.map(({ seq, failure, ...a }) => a)), sortedCanonical(expectedPending),
    "the outbox holds exactly the coalesced actions: one per changed field, only the delete for a deleted message");
  const seqs = pendingBeforeSync.map((p) => p.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "pendingActions() is oldest first");
});

test("online again: one sync drains the outbox in order; the server holds the expected state, 0 lost, 0 duplicated, 0 out of order", async () => {
  assert.ok(pendingBeforeSync, "the offline phase ran");
  await page.unroute(`${org.origin}/**`, cut);
  const from = org.graphLog.length;
  const bodies = [];
  const onRequest = (request) => {
    const url = new URL(request.url());
    if (url.origin === org.origin && request.method() !== "GET" && request.method() !== "OPTIONS") {
      bodies.push(`${request.method()} ${url.pathname}`);
    }
  };
  browser.context.on("request", onRequest);
  const { report, error } = await sync();
  browser.context.off("request", onRequest);
  assert.equal(error, undefined, error);

  // What reached the server, in the order it arrived: every call the outbox sends.
  const writes = org.graphLog.slice(from).filter((r) => r.method !== "GET");
  assert.deepEqual(writes.filter((r) => r.status < 200 || r.status >= 300).map((r) => `${r.method} ${r.path} ${r.status}`), [], "every call succeeded");
  assert.deepEqual(writes.map((r) => `${r.method} ${r.path}`), bodies, "the page sent what the server received, in that order");
  // The bodies as the server received them (Firefox does not show request bodies to the test).
  bodies.splice(0, bodies.length, ...writes.map((r) => `${r.method} ${r.path} ${r.body ?? ""}`));
  const want = pendingBeforeSync.map(requestOf);

  // Lost: a pending action with no call; duplicated: a call beyond its action.
  const tally = new Map();
  for (const w of want) tally.set(w, (tally.get(w) ?? 0) + 1);
  for (const b of bodies) tally.set(b, (tally.get(b) ?? 0) - 1);
  let lost = [...tally].filter(([, n]) => n > 0).map(([w]) => w);
  let duplicated = [...tally].filter(([, n]) => n < 0).map(([w]) => w);
  // Out of order: a call sent before one of an action queued earlier, or a call
  // for a message after the call that deleted it.
  const position = new Map(want.map((w, i) => [w, i]));
  const outOfOrder = [];
  for (let i = 1; i < bodies.length; i++) {
    if (position.has(bodies[i]) && position.has(bodies[i - 1]) && position.get(bodies[i]) < position.get(bodies[i - 1])) outOfOrder.push(`${bodies[i - 1]} then ${bodies[i]}`);
  }
  const gone = new Set();
  for (const b of bodies) {
    const id = decodeURIComponent(b.split(" ")[1].split("/")[4]);
    if (gone.has(id)) outOfOrder.push(`after its delete: ${b}`);
    if (b.startsWith("DELETE ") || b.includes("/permanentDelete ")) gone.add(id);
  }

  // The server's state against the model, message by message.
  const server = org.graph.live("messages");
  const serverState = new Map([...server].filter(([id]) => id.startsWith("msg-")).map(([id, m]) => [id, view(m)]));
  for (const [id, m] of expectedServer) {
    const got = serverState.get(id);
    if (!got) lost.push(`server lacks ${id}`);
    else if (JSON.stringify(got) !== JSON.stringify(m)) lost.push(`server has ${id} as ${JSON.stringify(got)}, expected ${JSON.stringify(m)}`);
  }
  for (const id of serverState.keys()) if (!expectedServer.has(id)) lost.push(`server still has ${id}, deleted for good`);
  duplicated = duplicated.concat([...server.keys()].filter((id) => !id.startsWith("msg-")).map((id) => `server has an extra message ${id}`));

  assert.deepEqual({ lost, duplicated, outOfOrder }, { lost: [], duplicated: [], outOfOrder: [] });
  assert.equal(bodies.length, pendingBeforeSync.length, "one call per pending action");
  assert.deepEqual(bodies, want, "the calls are the outbox, in its order");
  assert.equal(report.pushed, pendingBeforeSync.length);
  assert.equal(report.failed, 0);
  assert.deepEqual(await pending(), [], "the outbox is empty");

  // The offline copy now equals the server, message by message and in the counts.
  const serverView = new Map([...expectedServer]);
  assertListingIsModel(await listing(), serverView, "after the sync");
  const whole = await getAll(initialMessages.map((m) => m.id));
  const wrong = initialMessages.map((m) => m.id).filter((id) => JSON.stringify(whole[id]) !== JSON.stringify(serverView.get(id) ?? null));
  assert.deepEqual(wrong.map((id) => ({ id, here: whole[id], server: serverView.get(id) ?? null })), [], "getMessage equals the server");
  assert.deepEqual(await page.evaluate(() => window.counts()), counts(serverView), "folder counts equal the server's");

  // A second sync has nothing to send and changes nothing.
  const again = org.graphLog.length;
  const second = await sync();
  assert.equal(second.error, undefined, second.error);
  assert.equal(second.report.pushed, 0);
  assert.deepEqual(org.graphLog.slice(again).filter((r) => r.method !== "GET"), [], "nothing sent twice");
  assertListingIsModel(await listing(), serverView, "after a second sync");
});

test("no request left the organization's server", () => {
  const foreign = requests.filter((url) => url.origin !== site.origin && url.origin !== org.origin).map(String);
  assert.deepEqual(foreign, []);
});
