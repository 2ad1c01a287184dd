// The demo client: an Outlook-on-the-web-style mail client over offline-mailbox.
// The library runs in a dedicated worker (worker/mailbox.worker.js, reached
// through rpc.js); this page never calls it directly. This module wires the
// views together and owns the session's flow: sign-in, the offline consent
// question, opening the cache from the tab's key after a reload (even with the
// org server unreachable), the admin's policy and sign-out.
import { createAvatars } from "./avatars.js";
import { createBanners } from "./banners.js";
import { booted, openCache } from "./boot.js";
import { createCalendar } from "./calendar.js";
import { createCard } from "./card.js";
import { createCommands } from "./commands.js";
import { $, h, icon } from "./dom.js";
import { count, initials, plural } from "./format.js";
import { createFolders } from "./folders.js";
import { createMessageList } from "./list.js";
import { createNetwork } from "./network.js";
import { offlineKey, policy as fetchPolicy, pushPolicy } from "./org.js";
import { createPeople } from "./people.js";
import { createReader } from "./reader.js";
import { createSearch } from "./search.js";
import { forgetSession, offlineAllowed, openMailbox, saveSession } from "./session.js";
import { createSettings } from "./settings.js";
import { askConsent, askSignIn, askSignOut, signInFailed } from "./signin.js";
import { createSync } from "./sync.js";

// boot.js has started the worker and, after a reload, the reading of the cache.
const { config, rpc, saved, cache } = await booted;
const { mailbox } = rpc;

let session = null;
let folder = { id: "inbox", displayName: "Inbox" };
let view = "mail";

const banners = createBanners($("#banners"));
const avatars = createAvatars(mailbox, config.orgDomains);
const card = createCard({ dialog: $("#card-dialog"), mailbox, avatars, orgDomains: config.orgDomains });
const network = createNetwork({ orgServer: config.orgServer, indicator: $("#connection"), switchButton: $("#network-switch"), onChange: connectionChanged });
const sync = createSync({
  rpc, config, network, banners, statusElement: $("#sync-status"), pendingElement: $("#pending"),
  onSynced: () => refreshPolicy(),
});
const folders = createFolders({ element: $("#folder-tree"), mailbox, onSelect: openFolder });
const list = createMessageList({
  element: $("#message-list"),
  mailbox,
  avatars,
  onOpen: (summary) => reader.open(summary.id),
  onDelete: () => commands.delete(),
  onSelectionChange: (ids) => commands.update(ids.length),
  onUpdate: listUpdated,
  onError: (error) => listMessage(error.code === "InvalidInput" ? `Search: ${error.message}` : `The list can't be read: ${error.message}`),
});
const reader = createReader({
  element: $("#reading-pane"),
  mailbox,
  avatars,
  openCard: (address, name) => card.open(address, name),
  onOpened: (message) => {
    if (!message.isRead) commands.markOpened(message.id).then(() => sync.soon());
  },
});
const commands = createCommands({ element: $(".command-bar"), mailbox, list, folders, onError: actionFailed });
$(".command-bar").addEventListener("click", (event) => {
  if (event.target.closest("[data-command], [role=menuitem]")) sync.soon();
});
const calendar = createCalendar({ element: $("#calendar-view"), mailbox, config });
const people = createPeople({ element: $("#people-view"), mailbox, avatars, openCard: (address, name) => card.open(address, name), orgDomains: config.orgDomains });
const search = createSearch({
  input: $("#search"),
  form: $("#search-form"),
  showResults: (query) => {
    if (notice === "error") listMessage(null);
    showView("mail");
    list.show({ kind: "search", query });
    reader.clear();
  },
  showFolder: () => openFolder(folder),
});
const settings = createSettings({
  dialog: $("#settings-dialog"),
  mailbox,
  rpc,
  session: () => session,
  setOffline,
  pushPolicy: async (next) => {
    await pushPolicy(next);
    return refreshPolicy({ always: true });
  },
  offlineAllowed,
});

let notice = null;

/** Shows `text` above the list (`kind`: "empty", "error" or "offline"), or nothing. */
function listMessage(text, kind = "error") {
  notice = text ? kind : null;
  const message = $("#list-message");
  message.textContent = text ?? "";
  message.hidden = !text;
}

let firstRowsMarked = false;

/** After each list draw: the header's counts, the empty state, and the first-rows mark of this page load. */
function listUpdated() {
  const source = list.source;
  if (!source) return;
  if (source.kind === "search") {
    $("#list-title").textContent = "Search results";
    $("#list-count").textContent = list.exact ? plural(list.total, "result") : `${count(list.total - 1)}+ results`;
  } else {
    const shown = folders.get(source.folderId) ?? folder;
    $("#list-title").textContent = shown.displayName;
    $("#list-count").textContent = shown.totalItemCount === undefined ? ""
      : `${plural(shown.totalItemCount, "message")}${shown.unreadItemCount ? `, ${count(shown.unreadItemCount)} unread` : ""}`;
  }
  if (rpc.state.offlineEnabled && list.total === 0 && list.exact) {
    listMessage(source.kind === "search" ? "Nothing matches your search." : "This folder is empty.", "empty");
  } else if (notice === "empty") listMessage(null);
  if (!firstRowsMarked && list.hasRows) {
    firstRowsMarked = true;
    // From navigation start: what the reload test reports.
    performance.mark("first-rows");
    document.body.dataset.firstRows = String(Math.round(performance.now()));
  }
}

/** Lists folder `next` (`firstPage`: its first page, when already read). */
function openFolder(next, firstPage = null) {
  folder = folders.get(next.id) ?? next;
  if (notice === "error") listMessage(null);
  search.reset();
  reader.clear();
  list.show({ kind: "folder", folderId: folder.id }, folder.totalItemCount ?? 0, firstPage);
}

function showView(next) {
  view = next;
  for (const button of document.querySelectorAll(".rail-button")) {
    if (button.dataset.view === next) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  $("#mail-view").hidden = next !== "mail";
  $("#calendar-view").hidden = next !== "calendar";
  $("#people-view").hidden = next !== "people";
  document.body.dataset.view = next;
  if (next === "calendar") calendar.load();
  if (next === "people") people.load();
}

function actionFailed(error) {
  const text = error.code === "PolicyDenied" ? "Actions need offline mail turned on." : `That didn't work: ${error.message}`;
  banners.show("action", [h("span", {}, text)], { tone: "error", dismissible: true });
}

/** Re-reads folders, then the list and the reading pane, after a change to messages. */
async function mailChanged(ids) {
  await folders.refresh();
  const source = list.source;
  if (source?.kind === "folder") list.refresh({ count: folders.get(source.folderId)?.totalItemCount ?? 0, ids });
  else list.refresh({ ids });
  reader.changed(ids);
}

rpc.addEventListener("change", ({ detail }) => {
  if (detail.kinds.includes("messages") || detail.kinds.includes("mailFolders")) mailChanged(detail.ids);
  if (detail.kinds.includes("events") && view === "calendar") calendar.load();
  sync.refreshPending();
});
rpc.addEventListener("leaderchange", () => sync.run());
// Another tab deleted or upgraded the database: open it again as it now is.
rpc.addEventListener("close", () => session && resume(session));

function connectionChanged(state, previous) {
  if (state === "offline") {
    sync.offline();
    if (rpc.state.offlineEnabled) {
      banners.show("offline", [h("span", {}, "You're offline. You can keep reading and organizing your mail; changes are sent when the connection is back.")]);
    }
  } else banners.hide("offline");
  if (state === "online" && previous !== "unknown") refreshPolicy().then(() => sync.run());
}

/** What the client shows while nothing is kept offline (`why`: "policy" or "choice"). */
function offlineOff(why) {
  saveSession(session, false);
  sync.stop();
  reader.clear();
  search.enable(false);
  folders.use([]);
  folder = { id: "inbox", displayName: "Inbox" };
  list.show({ kind: "folder", folderId: "inbox" }, 0);
  $("#sync-status").textContent = "Not kept offline";
  listMessage(why === "policy"
    ? "Your organization doesn't allow offline mail on this computer, so no mail is kept here."
    : "Offline mail is off: no mail is kept on this computer. Turn it on in Settings.", "offline");
  document.body.dataset.offline = why;
}

/**
 * The mailbox is open with offline on: show the cache at once (from `opened`,
 * the folders and first page openCache read, if given), then connect and sync
 * in the background.
 */
async function startMail(opened = {}) {
  saveSession(session, true);
  delete document.body.dataset.offline;
  search.enable(true);
  listMessage(null);
  if (opened.folders) folders.use(opened.folders);
  else await folders.refresh();
  openFolder(folders.get("inbox") ?? folder, opened.firstPage);
  network.start().then((state) => {
    if (state === "online") return refreshPolicy();
  }).then(() => sync.start());
}

/**
 * Fetches the admin's policy and applies it when it changed (`always`: report
 * even when nothing changed). Resolves to a sentence saying what it did.
 */
async function refreshPolicy({ always = false } = {}) {
  let next;
  try {
    next = await fetchPolicy(config.orgServer);
    network.report(true);
  } catch {
    return "The organization's server can't be reached; the policy stays as it was.";
  }
  const before = { ...session.policy };
  const same = ["allowOfflineOn", "displayPhotosEnabled", "contactCardEnabled"].every((k) => before[k] === next[k]);
  if (same && !always) return "";
  const wasOffline = rpc.state.offlineEnabled;
  await mailbox.applyPolicy(next);
  session.policy = next;
  saveSession(session, rpc.state.offlineEnabled);
  const effects = [];
  if (wasOffline && !rpc.state.offlineEnabled) {
    effects.push("offline mail is no longer allowed on this computer, so the offline copy was deleted");
    offlineOff("policy");
  }
  if (before.displayPhotosEnabled !== next.displayPhotosEnabled) {
    avatars.clear();
    list.redraw();
    reader.changed(null);
    effects.push(next.displayPhotosEnabled ? "sender photos are shown again" : "sender photos are turned off, so initials are shown instead");
  }
  if (before.contactCardEnabled !== next.contactCardEnabled) {
    effects.push(next.contactCardEnabled ? "contact cards are available again" : "contact cards are turned off");
  }
  const text = effects.length ? `Your organization changed its policy: ${effects.join("; ")}.` : "The policy is unchanged.";
  if (effects.length) banners.show("policy", [h("span", { "data-policy-notice": "" }, text)], { tone: "warning", dismissible: true });
  return text;
}

/** The user turns offline on (with the session's key, which the library forgot once used) or off. */
async function setOffline(on) {
  try {
    if (on) {
      await mailbox.enableOffline({ key: session.key });
      await startMail();
    } else {
      await mailbox.disableOffline();
      offlineOff("choice");
    }
  } catch (error) {
    actionFailed(error);
  }
}

function signedInChrome() {
  const button = $("#account-button");
  button.querySelector(".account-initials").textContent = initials(session.name);
  button.querySelector(".account-name").textContent = `Account: ${session.name}`;
  button.disabled = false;
  $("#settings-button").disabled = false;
}

/**
 * Opens the tab's session from sessionStorage (`opening`: openCache under way
 * for it): no network needed. If the cache cannot be opened (another key, a
 * restored copy), the session is dropped and the user signs in again.
 */
async function resume(tab, opening = openCache(rpc, tab)) {
  session = { ...tab, name: tab.userId === config.user.address ? config.user.name : tab.userId };
  signedInChrome();
  let opened;
  try {
    opened = await opening;
  } catch (error) {
    forgetSession();
    return signIn(`The offline copy could not be opened (${error.code ?? error.name}); sign in again.`);
  }
  if (opened.state.offlineEnabled) return startMail(opened);
  offlineOff(offlineAllowed(session.policy, session.computer) ? "choice" : "policy");
  network.start();
}

/**
 * Signs in: the key and the policy from the org server, then the mailbox, then
 * (the first time) the consent question. `problem` says why the user is asked again.
 */
async function signIn(problem = null) {
  let answer = problem ? await signInFailed(problem, config.user.address) : await askSignIn(config.user.address);
  let state;
  for (;;) {
    try {
      const [key, policy] = await Promise.all([offlineKey(config.orgServer, answer.address), fetchPolicy(config.orgServer)]);
      const name = answer.address === config.user.address ? config.user.name : answer.address;
      session = { userId: answer.address, name, computer: answer.computer, policy, key, orgServer: config.orgServer, orgDomains: config.orgDomains };
      state = await openMailbox(rpc, session);
      break;
    } catch (error) {
      answer = await signInFailed(`Signing in failed: ${error.message}`, config.user.address);
    }
  }
  signedInChrome();
  network.start();
  if (state.offlineEnabled) return startMail();
  if (!offlineAllowed(session.policy, session.computer)) return offlineOff("policy");
  if (!(await askConsent())) return offlineOff("choice");
  await mailbox.enableOffline({ key: session.key });
  return startMail();
}

async function signOut() {
  const canKeep = session.computer === "private" && rpc.state.offlineEnabled;
  const answer = await askSignOut(session.name, canKeep);
  if (!answer) return;
  sync.stop();
  await rpc.call("signOut", [answer]);
  forgetSession();
  location.reload();
}

for (const button of document.querySelectorAll(".rail-button")) {
  button.prepend(icon(button.dataset.view));
  button.addEventListener("click", () => showView(button.dataset.view));
}
$("#settings-button").append(icon("settings"));
$("#settings-button").addEventListener("click", () => settings.open());
$("#account-button").addEventListener("click", signOut);

document.body.dataset.ready = "true";
if (saved) resume(saved, cache);
else signIn();
