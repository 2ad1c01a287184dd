// The command bar over the list: read, unread, flag, move and delete, on the
// selected messages. Each is one library action: applied to the offline copy at
// once (the list and counts follow through the `change` event) and queued in
// the encrypted outbox until a sync sends it, so they all work offline.
import { announce, h, icon } from "./dom.js";
import { plural } from "./format.js";

const ICON = { read: "read", unread: "unread", flag: "flag", move: "move", delete: "delete" };

/** `list` gives the selection, `folders` the move targets, `onError(error)` reports a refusal. */
export function createCommands({ element, mailbox, list, folders, onError }) {
  const buttons = Object.fromEntries([...element.querySelectorAll("[data-command]")].map((b) => [b.dataset.command, b]));
  const menu = element.querySelector("#move-menu");
  for (const [name, button] of Object.entries(buttons)) button.prepend(icon(ICON[name]));

  async function run(action, done) {
    const ids = list.selectedIds();
    if (!ids.length) return;
    try {
      await action(ids);
      announce(done(ids.length));
    } catch (error) {
      onError(error);
    }
  }

  const commands = {
    read: () => run((ids) => mailbox.markRead(ids, true), (n) => `Marked ${plural(n, "message")} as read`),
    unread: () => run((ids) => mailbox.markRead(ids, false), (n) => `Marked ${plural(n, "message")} as unread`),
    flag: () => {
      const flagged = list.selectedSummaries().every((m) => m.flag?.flagStatus === "flagged");
      const flagStatus = flagged ? "notFlagged" : "flagged";
      return run((ids) => mailbox.setFlag(ids, { flagStatus }), (n) => `${flagged ? "Unflagged" : "Flagged"} ${plural(n, "message")}`);
    },
    delete: () => run(async (ids) => {
      await mailbox.delete(ids);
      list.selectionRemoved();
    }, (n) => `Deleted ${plural(n, "message")}`),
    move: () => openMenu(),
  };

  /** Moves the selection to `folder`. */
  const moveTo = (folder) => run(async (ids) => {
    await mailbox.move(ids, folder.id);
    list.selectionRemoved();
  }, (n) => `Moved ${plural(n, "message")} to ${folder.displayName}`);

  function closeMenu({ focus = true } = {}) {
    menu.hidden = true;
    buttons.move.setAttribute("aria-expanded", "false");
    if (focus) buttons.move.focus();
  }

  function openMenu() {
    const here = list.source?.folderId;
    const items = folders.all.filter((f) => f.id !== here).map((folder) =>
      h("button", { type: "button", role: "menuitem", tabindex: "-1", on: { click: () => { closeMenu(); moveTo(folder); } } },
        icon(folder.wellKnownName ?? "folder"), folder.displayName));
    menu.replaceChildren(...items);
    menu.hidden = false;
    buttons.move.setAttribute("aria-expanded", "true");
    items[0]?.focus();
  }

  menu.addEventListener("keydown", (event) => {
    const items = [...menu.querySelectorAll("[role=menuitem]")];
    const at = items.indexOf(document.activeElement);
    const next = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[event.key];
    if (next !== undefined) {
      event.preventDefault();
      items[(next + items.length) % items.length]?.focus();
    } else if (event.key === "Escape" || event.key === "Tab") {
      event.preventDefault();
      closeMenu();
    }
  });
  menu.addEventListener("focusout", (event) => {
    if (!menu.hidden && !menu.contains(event.relatedTarget) && event.relatedTarget !== buttons.move) closeMenu({ focus: false });
  });
  element.addEventListener("click", (event) => {
    const button = event.target.closest("[data-command]");
    if (button && !button.disabled) commands[button.dataset.command]();
  });

  return {
    /** Enables the commands for a selection of `count` messages (and the flag label for what it holds). */
    update(count) {
      for (const button of Object.values(buttons)) button.disabled = count === 0;
      const allFlagged = count > 0 && list.selectedSummaries().every((m) => m.flag?.flagStatus === "flagged");
      buttons.flag.lastChild.textContent = allFlagged ? "Unflag" : "Flag";
    },
    delete: () => commands.delete(),
    /** Marks `id` read, as opening a message does. */
    markOpened: (id) => mailbox.markRead([id], true).catch(onError),
  };
}
