// The contact card: what the user's contacts hold about an address (from the
// offline copy), and for the organization's people their directory card from
// the org server (`contactCard`, asked only when the user opens the card, and
// only while the admin's policy allows cards), with their photo. When the
// policy turns cards off, or the server cannot be reached, the card says so.
import { h } from "./dom.js";
import { normalAddress } from "./format.js";

const NOTES = {
  PolicyDenied: "Your organization has turned off contact cards, so only what your contacts hold is shown.",
  Network: "Your organization's directory can't be reached right now.",
  none: "Not found in your organization's directory.",
  outside: "Outside your organization: only what your contacts hold is shown.",
};

export function createCard({ dialog, mailbox, avatars, orgDomains }) {
  let token = 0;
  let avatar = null;

  const close = () => dialog.close();
  dialog.addEventListener("close", () => {
    avatar?.dispose();
    avatar = null;
    token += 1;
  });
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) close(); // a click on the backdrop
  });

  function detailRows(entries) {
    return entries.filter(([, value]) => value).flatMap(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]);
  }

  function render(email, name, contact, directory, note) {
    avatar?.dispose();
    const person = directory ?? {};
    const displayName = person.displayName || contact?.displayName || name || email;
    avatar = avatars.avatar(email, displayName, "huge");
    const jobTitle = person.jobTitle ?? contact?.jobTitle;
    const department = person.department ?? contact?.department;
    const phones = [...(person.businessPhones ?? contact?.businessPhones ?? [])].join(", ");
    const emails = [...new Set([email, ...(contact?.emailAddresses ?? []).map((e) => e.address)].filter(Boolean))].join(", ");
    dialog.replaceChildren(h("div", { class: "dialog-body" },
      h("div", { class: "card-head" }, avatar.node,
        h("div", {}, h("h2", { id: "card-name" }, displayName),
          h("div", { class: "card-title" }, [jobTitle, department].filter(Boolean).join(" · ")))),
      h("dl", { class: "card-details" }, ...detailRows([
        ["Email", emails],
        ["Work phone", phones],
        ["Mobile", person.mobilePhone ?? contact?.mobilePhone],
        ["Office", person.officeLocation ?? contact?.officeLocation],
        ["Company", contact?.companyName],
      ])),
      note && h("p", { class: "card-note", "data-note": note }, NOTES[note]),
      h("div", { class: "dialog-actions" }, h("button", { type: "button", class: "primary", on: { click: close } }, "Close"))));
    dialog.dataset.state = "ready";
    dialog.dataset.directory = directory ? "card" : note ?? "none";
  }

  /** Opens the card of `address` (`name` as the message showed it). */
  async function open(address, name = "") {
    const my = ++token;
    const email = normalAddress(address);
    dialog.dataset.state = "loading";
    dialog.replaceChildren(h("div", { class: "dialog-body" }, h("h2", { id: "card-name" }, name || email), h("p", { class: "muted" }, "Loading…")));
    if (!dialog.open) dialog.showModal();
    const inOrg = orgDomains.includes(email.split("@").pop());
    const [contact, directory] = await Promise.all([
      email ? mailbox.contactByEmail(email).catch(() => null) : null,
      inOrg ? mailbox.contactCard(email).then((card) => ({ card }), (error) => ({ error })) : { card: null },
    ]);
    if (my !== token) return;
    const note = directory.error ? (NOTES[directory.error.code] ? directory.error.code : "Network") : inOrg ? (directory.card ? null : "none") : "outside";
    render(email, name, contact, directory.card, note);
    dialog.querySelector(".dialog-actions button").focus();
  }

  return { open, close };
}
