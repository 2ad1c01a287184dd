// People: find a contact as you type (an ARIA combobox over `contacts({ prefix })`
// for one word, `searchContacts(query)` for more), and open their contact card.
// Beside it, the organization's people among the contacts. Everything is read
// from the offline copy; only the card asks the org server.
import { h } from "./dom.js";
import { normalAddress } from "./format.js";

const SUGGESTIONS = 8;

export function createPeople({ element, mailbox, avatars, openCard, orgDomains }) {
  let token = 0;
  let options = [];
  let activeOption = -1;
  let disposers = [];

  const input = h("input", {
    id: "people-search", type: "text", role: "combobox", autocomplete: "off", "aria-autocomplete": "list",
    "aria-expanded": "false", "aria-controls": "people-suggestions", placeholder: "Name or email address",
  });
  const listbox = h("ul", { id: "people-suggestions", class: "suggestions", role: "listbox", "aria-label": "Suggestions", hidden: true });
  const orgList = h("ul", { class: "people-list", "aria-labelledby": "people-org-title" });
  element.replaceChildren(
    h("div", { class: "people-side" },
      h("h2", {}, "People"),
      h("label", { for: "people-search", class: "field" }, "Search your contacts"),
      h("div", { class: "combo" }, input, listbox)),
    h("section", { class: "people-main", "aria-labelledby": "people-org-title" },
      h("h2", { id: "people-org-title" }, "Your organization"),
      orgList),
  );

  const address = (contact) => contact.emailAddresses?.[0]?.address ?? "";

  function personRow(contact, props) {
    const avatar = avatars.avatar(address(contact), contact.displayName, "small");
    disposers.push(avatar.dispose);
    return h(props.tag ?? "li", { class: "person", ...props.attrs },
      avatar.node,
      h("span", { class: "person-text" },
        h("span", { class: "person-name" }, contact.displayName || address(contact)),
        h("span", { class: "person-mail" }, [contact.jobTitle, address(contact)].filter(Boolean).join(" · "))));
  }

  function closeList() {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    activeOption = -1;
  }

  function setActive(index) {
    activeOption = index;
    [...listbox.children].forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) input.setAttribute("aria-activedescendant", `people-option-${index}`);
    else input.removeAttribute("aria-activedescendant");
  }

  function choose(index) {
    const contact = options[index];
    if (!contact) return;
    closeList();
    openCard(address(contact), contact.displayName);
  }

  async function suggest() {
    const my = ++token;
    const query = input.value.trim();
    if (!query) return closeList();
    const found = /\s/.test(query)
      ? await mailbox.searchContacts(query, { limit: SUGGESTIONS }).catch(() => [])
      : await mailbox.contacts({ prefix: query, limit: SUGGESTIONS }).catch(() => []);
    if (my !== token) return;
    options = found;
    listbox.replaceChildren(...found.map((contact, i) => personRow(contact, {
      attrs: { id: `people-option-${i}`, role: "option", "aria-selected": "false", on: { click: () => choose(i) } },
    })));
    if (!found.length) listbox.append(h("li", { class: "person", role: "option", "aria-disabled": "true", "aria-selected": "false" }, "No contacts found"));
    listbox.hidden = false;
    input.setAttribute("aria-expanded", "true");
    setActive(-1);
    element.dataset.suggestions = String(found.length);
  }

  input.addEventListener("input", suggest);
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (listbox.hidden) return;
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((activeOption + step + options.length) % Math.max(options.length, 1));
    } else if (event.key === "Enter") {
      event.preventDefault();
      choose(activeOption >= 0 ? activeOption : 0);
    } else if (event.key === "Escape") closeList();
  });
  // A click on a suggestion must not take the focus from the input first (its blur closes the list).
  listbox.addEventListener("mousedown", (event) => event.preventDefault());
  input.addEventListener("blur", closeList);

  /** Lists the organization's people among the contacts. */
  async function load() {
    for (const dispose of disposers) dispose();
    disposers = [];
    // The organization's name is the first label of its domain (contoso.example: "contoso"), in its people's addresses and company.
    const found = await mailbox.searchContacts(orgDomains[0].split(".")[0], { limit: 50 }).catch(() => []);
    const ours = found.filter((c) => orgDomains.includes(normalAddress(address(c)).split("@").pop()));
    orgList.replaceChildren(...ours.map((contact) => h("li", {}, personRow(contact, {
      tag: "button", attrs: { type: "button", on: { click: () => openCard(address(contact), contact.displayName) } },
    }))));
    if (!ours.length) orgList.append(h("li", { class: "muted" }, "No one from your organization is in your contacts yet."));
    element.dataset.state = "ready";
  }

  return { load, focus: () => input.focus() };
}
