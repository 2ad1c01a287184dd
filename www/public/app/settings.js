// Settings: the user's offline choice (and what the offline copy holds), the
// admin's policy as applied here, a stand-in admin console that changes the
// policy on the org server (the client then fetches it and applies it, as it
// would when the admin pushes a change), and the keyboard shortcuts.
import { h } from "./dom.js";
import { count } from "./format.js";

const WHERE = {
  AllComputers: "on all computers",
  PrivateComputersOnly: "on private computers only",
  NoComputers: "on no computer",
};

const KEYS = [
  ["↑ ↓ or j k", "Move through the message list"],
  ["Shift + ↑ ↓", "Extend the selection"],
  ["Space", "Add or remove the message from the selection"],
  ["Enter", "Open the message"],
  ["Delete", "Delete the selected messages"],
  ["Home / End", "First or last message"],
  ["/", "Search mail"],
  ["Esc", "Close a dialog or menu"],
];

/**
 * `session()` gives `{ computer, policy }`; `setOffline(on)` turns offline on or
 * off; `pushPolicy(policy)` has the admin push it and resolves to what it did
 * (a sentence).
 */
export function createSettings({ dialog, mailbox, rpc, session, setOffline, pushPolicy, offlineAllowed }) {
  const result = h("p", { class: "policy-result", role: "status" });

  function policyText(policy) {
    return h("ul", {},
      h("li", {}, `Offline mail: allowed ${WHERE[policy.allowOfflineOn] ?? policy.allowOfflineOn}`),
      h("li", {}, `Sender photos: ${policy.displayPhotosEnabled ? "shown" : "turned off"}`),
      h("li", {}, `Contact cards: ${policy.contactCardEnabled ? "available" : "turned off"}`));
  }

  async function storageText() {
    if (!rpc.state.offlineEnabled) return "Nothing is kept on this computer.";
    const report = await mailbox.storage().catch(() => null);
    if (!report) return "";
    const kinds = report.byKind ?? {};
    const items = [["messages", "messages"], ["contacts", "contacts"], ["events", "events"]]
      .map(([kind, label]) => `${count(kinds[kind]?.count ?? 0)} ${label}`).join(", ");
    const megabytes = report.usage == null ? "" : ` · ${count(Math.round(report.usage / 1e5) / 10)} MB used`;
    return `Kept offline, encrypted: ${items}${megabytes}`;
  }

  async function render() {
    const { computer, policy } = session();
    const allowed = offlineAllowed(policy, computer);
    const offline = h("input", { type: "checkbox", id: "settings-offline", checked: rpc.state.offlineEnabled, disabled: !allowed && !rpc.state.offlineEnabled });
    offline.addEventListener("change", async () => {
      offline.disabled = true;
      await setOffline(offline.checked);
      render();
    });
    const where = h("select", { id: "admin-offline" },
      ...Object.entries(WHERE).map(([value, text]) => h("option", { value, selected: value === policy.allowOfflineOn }, `Offline ${text}`)));
    const photos = h("input", { type: "checkbox", id: "admin-photos", checked: policy.displayPhotosEnabled });
    const cards = h("input", { type: "checkbox", id: "admin-cards", checked: policy.contactCardEnabled });
    const push = h("button", { type: "submit", class: "primary" }, "Push policy");
    const form = h("form", { class: "admin", "aria-labelledby": "admin-title" },
      h("h3", { id: "admin-title" }, "Admin console (demo stand-in)"),
      h("p", { class: "muted" }, "Changes the OWA mailbox policy on the organization's server, as an administrator would. The client then fetches it and applies it."),
      h("label", { class: "field", for: "admin-offline" }, "AllowOfflineOn"), where,
      h("label", { class: "check" }, photos, "DisplayPhotosEnabled"),
      h("label", { class: "check" }, cards, "ContactCardEnabled"),
      h("div", {}, push));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      push.disabled = true;
      result.textContent = "Pushing the policy…";
      try {
        result.textContent = await pushPolicy({ allowOfflineOn: where.value, displayPhotosEnabled: photos.checked, contactCardEnabled: cards.checked });
      } catch (error) {
        result.textContent = `The policy could not be applied: ${error.message}`;
      }
      dialog.dataset.state = "applied";
      await render();
      dialog.querySelector(".admin button[type=submit]")?.focus();
    });
    const storage = h("p", { class: "muted" }, await storageText());
    dialog.replaceChildren(h("div", { class: "dialog-body" },
      h("h2", { id: "settings-title" }, "Settings"),
      h("section", { class: "settings-section", "aria-labelledby": "settings-offline-title" },
        h("h3", { id: "settings-offline-title" }, "Offline mail"),
        h("label", { class: "check" }, offline, "Keep mail on this computer for offline use"),
        h("p", { class: "muted" }, `This is a ${computer} computer. ${allowed ? "" : "Your organization doesn't allow offline mail here."}`),
        storage),
      h("section", { class: "settings-section", "aria-labelledby": "settings-policy-title" },
        h("h3", { id: "settings-policy-title" }, "Your organization's policy"),
        policyText(policy),
        form,
        result),
      h("section", { class: "settings-section", "aria-labelledby": "settings-keys-title" },
        h("h3", { id: "settings-keys-title" }, "Keyboard shortcuts"),
        h("dl", { class: "keys" }, ...KEYS.flatMap(([keys, what]) => [h("dt", {}, keys), h("dd", {}, what)]))),
      h("div", { class: "dialog-actions" }, h("button", { type: "button", on: { click: () => dialog.close() } }, "Close"))));
  }

  return {
    async open() {
      result.textContent = "";
      dialog.dataset.state = "open";
      await render();
      if (!dialog.open) dialog.showModal();
    },
  };
}
