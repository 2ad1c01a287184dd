// The demo client: signs in as a user, gets that user's key from the org server,
// syncs a page of mail into the encrypted offline cache and reads it back.
import init, { OfflineMailbox } from "/pkg/web/offline_mailbox.js";

const $ = (id) => document.getElementById(id);
const status = (text) => { $("status").textContent = text; };

async function orgJson(path) {
  const response = await fetch(`${ORG_SERVER}${path}`, { credentials: "include", referrerPolicy: "no-referrer" });
  if (!response.ok) throw new Error(`org server answered ${response.status} for ${path}`);
  return response.json();
}

async function userKey(userId) {
  const { key } = await orgJson(`/api/offline-key?user=${encodeURIComponent(userId)}`);
  return Uint8Array.from(atob(key), (c) => c.charCodeAt(0));
}

function render(messages) {
  const list = $("messages");
  list.replaceChildren(...messages.map((m) => {
    const item = document.createElement("li");
    item.className = m.isRead ? "read" : "unread";
    item.dataset.id = m.id;
    const from = Object.assign(document.createElement("div"), { className: "from", textContent: m.from?.emailAddress?.name ?? "" });
    const subject = Object.assign(document.createElement("div"), { className: "subject", textContent: m.subject });
    const preview = Object.assign(document.createElement("div"), { className: "preview", textContent: m.bodyPreview ?? "" });
    item.append(from, subject, preview);
    return item;
  }));
}

async function sync(event) {
  event.preventDefault();
  const userId = $("user").value.trim();
  try {
    status("Opening the encrypted cache…");
    const mailbox = await OfflineMailbox.open({ userId, key: await userKey(userId) });
    const page = await orgJson("/api/messages");
    await mailbox.putMessages(page.value);
    const stored = await Promise.all(page.value.map((m) => mailbox.getMessage(m.id)));
    mailbox.close();
    render(stored);
    status(`Stored ${stored.length} messages encrypted and read them back.`);
  } catch (error) {
    status(`Failed (${error.code ?? error.name}): ${error.message}`);
  }
}

async function wipe() {
  await OfflineMailbox.wipeUser($("user").value.trim());
  render([]);
  status("Offline data wiped.");
}

const { orgServer: ORG_SERVER } = await (await fetch("/config.json")).json();
await init();
$("signin").addEventListener("submit", sync);
$("wipe").addEventListener("click", wipe);
status("Ready.");
document.body.dataset.ready = "true";
