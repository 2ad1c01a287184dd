// The folder pane: the mail folders of the offline copy (`mailbox.folders()`,
// whose counts are those of what is stored), well-known folders first, as an
// ARIA tree with one tab stop (arrow keys move, Enter or Space opens).
import { h, icon } from "./dom.js";
import { count } from "./format.js";

const WELL_KNOWN_ORDER = ["inbox", "drafts", "sentitems", "archive", "deleteditems", "junkemail"];

const rank = (folder) => {
  const at = WELL_KNOWN_ORDER.indexOf(folder.wellKnownName ?? folder.id);
  return at === -1 ? WELL_KNOWN_ORDER.length : at;
};

/** `onSelect(folder)` is called when the user opens a folder. */
export function createFolders({ element, mailbox, onSelect }) {
  let folders = [];
  let selectedId = "inbox";
  let loading = null;
  let again = false;

  function render() {
    const items = folders.map((folder) => {
      const selected = folder.id === selectedId;
      const unread = folder.unreadItemCount ?? 0;
      const item = h("li", {
        class: "folder", role: "treeitem", "aria-selected": String(selected), tabindex: selected ? "0" : "-1",
        "aria-level": "1", "data-folder": folder.id,
      },
      icon(folder.wellKnownName ?? "folder"),
      h("span", { class: "name" }, folder.displayName),
      unread > 0 && h("span", { class: "unread" }, count(unread), h("span", { class: "visually-hidden" }, " unread")));
      return item;
    });
    const focused = element.contains(document.activeElement);
    element.replaceChildren(...items);
    if (focused) element.querySelector('[tabindex="0"]')?.focus();
  }

  const sorted = (list) => list.sort((a, b) => rank(a) - rank(b) || a.displayName.localeCompare(b.displayName));

  /** Shows `list`, the folders as just read. */
  function use(list) {
    folders = sorted(list);
    render();
  }

  /** Reads the folder list again (coalescing calls made while one runs). */
  async function refresh() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        use(await mailbox.folders().catch(() => []));
      } while (again);
    })();
    try {
      await loading;
    } finally {
      loading = null;
    }
  }

  function select(id, { focus = false } = {}) {
    selectedId = id;
    render();
    if (focus) element.querySelector('[tabindex="0"]')?.focus();
    const folder = folders.find((f) => f.id === id);
    onSelect(folder ?? { id, displayName: id });
  }

  element.addEventListener("click", (event) => {
    const item = event.target.closest("[data-folder]");
    if (item) select(item.dataset.folder, { focus: true });
  });
  element.addEventListener("keydown", (event) => {
    const items = [...element.querySelectorAll("[data-folder]")];
    const at = items.indexOf(document.activeElement);
    const move = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[event.key];
    if (move !== undefined) {
      event.preventDefault();
      const target = items[Math.max(0, Math.min(items.length - 1, move))];
      for (const item of items) item.tabIndex = item === target ? 0 : -1;
      target?.focus();
    } else if ((event.key === "Enter" || event.key === " ") && at !== -1) {
      event.preventDefault();
      select(items[at].dataset.folder, { focus: true });
    }
  });

  return {
    refresh,
    use,
    select,
    /** The folders as last read. */
    get all() { return folders; },
    /** The folder `id` as last read, or undefined. */
    get: (id) => folders.find((f) => f.id === id),
    get selectedId() { return selectedId; },
  };
}
