// The demo client: signs a user in, gets their key from the org server, syncs a
// page of mail (stored encrypted only once the user turns offline on), searches
// it offline, shows sender photos and, on click, contact cards — all from the org
// server only.
import init, { OfflineMailbox } from "/pkg/web/offline_mailbox.js";

const $ = (id) => document.getElementById(id);
const status = (text) => { $("status").textContent = text; };
let mailbox = null;
let ORG_SERVER = "";

async function orgJson(path) {
  const response = await fetch(`${ORG_SERVER}${path}`, { credentials: "include", referrerPolicy: "no-referrer" });
  if (!response.ok) throw new Error(`org server answered ${response.status} for ${path}`);
  return response.json();
}

async function userKey(userId) {
  const { key } = await orgJson(`/api/offline-key?user=${encodeURIComponent(userId)}`);
  return Uint8Array.from(atob(key), (c) => c.charCodeAt(0));
}

function element(tag, className, text) {
  return Object.assign(document.createElement(tag), { className, textContent: text ?? "" });
}

async function avatar(address, name) {
  const photo = await mailbox.senderPhoto(address, { size: "HR64x64" });
  if (!photo) return element("div", "initials", (name ?? "?").split(" ").map((w) => w[0]).join(""));
  return Object.assign(document.createElement("img"), { src: URL.createObjectURL(photo), alt: "" });
}

async function showCard(address) {
  const card = $("card");
  try {
    const person = await mailbox.contactCard(address);
    card.replaceChildren(element("h2", "", person?.displayName ?? address), element("div", "", person ? `${person.jobTitle} · ${person.department} · ${person.officeLocation}` : "Not in your organization"));
  } catch (error) {
    card.replaceChildren(element("div", "", `${error.code}: ${error.message}`));
  }
  card.hidden = false;
}

async function render(messages) {
  const items = await Promise.all(messages.map(async (m) => {
    const from = m.from?.emailAddress ?? {};
    const item = element("li", m.isRead ? "read" : "unread");
    item.dataset.id = m.id;
    item.append(await avatar(from.address, from.name), element("div", "from", from.name), element("div", "subject", m.subject), element("div", "preview", m.bodyPreview));
    item.addEventListener("click", () => showCard(from.address));
    return item;
  }));
  $("messages").replaceChildren(...items);
}

async function signIn(event) {
  event.preventDefault();
  const userId = $("user").value.trim();
  try {
    status("Signing in…");
    mailbox = await OfflineMailbox.open({
      userId,
      key: await userKey(userId),
      orgServer: ORG_SERVER,
      orgDomains: ["contoso.example"],
      computer: $("private").checked ? "private" : "public",
      policy: { allowOfflineOn: "AllComputers", displayPhotosEnabled: true, contactCardEnabled: true },
    });
    $("offline").checked = mailbox.offlineEnabled;
    $("signin").hidden = true;
    $("session").hidden = false;
    await sync();
  } catch (error) {
    status(`Failed (${error.code ?? error.name}): ${error.message}`);
  }
}

async function sync() {
  const page = await orgJson("/api/messages");
  await mailbox.putMessages(page.value);
  const stored = await mailbox.listMessages("inbox", { limit: 50 });
  const offline = mailbox.offlineEnabled;
  await render(offline ? stored.value : page.value);
  $("search").hidden = !offline;
  status(offline ? `Stored ${stored.value.length} messages encrypted and read them back.` : `Showing ${page.value.length} messages online; nothing stored (offline is off).`);
}

// Search as you type, over the encrypted offline copy; an empty box lists the inbox.
async function search() {
  const query = $("search").value;
  try {
    if (!query.trim()) {
      await render((await mailbox.listMessages("inbox", { limit: 50 })).value);
      status("Showing the inbox.");
      return;
    }
    const found = await mailbox.search(query, { limit: 50 });
    if (query !== $("search").value) return; // the user typed on meanwhile
    await render(found.value);
    status(`${found.value.length} message${found.value.length === 1 ? "" : "s"} match ${query}`);
  } catch (error) {
    status(`Search: ${error.message}`);
  }
}

async function toggleOffline() {
  try {
    if ($("offline").checked) await mailbox.enableOffline();
    else await mailbox.disableOffline();
    await sync();
  } catch (error) {
    $("offline").checked = mailbox.offlineEnabled;
    status(`Failed (${error.code}): ${error.message}`);
  }
}

async function signOut() {
  await mailbox.signOut();
  mailbox = null;
  $("messages").replaceChildren();
  $("card").hidden = true;
  $("session").hidden = true;
  $("signin").hidden = false;
  status("Signed out; offline data deleted.");
}

({ orgServer: ORG_SERVER } = await (await fetch("/config.json")).json());
await init();
$("signin").addEventListener("submit", signIn);
$("offline").addEventListener("change", toggleOffline);
$("signout").addEventListener("click", signOut);
$("search").addEventListener("input", search);
status("Ready.");
document.body.dataset.ready = "true";
