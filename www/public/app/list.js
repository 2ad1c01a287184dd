// The message list: a virtualized ARIA grid over a whole folder (6,046 messages,
// or 100,000 with the replicated set) or over search results.
//
// Rows have a fixed height, so the canvas is `total × ROW_HEIGHT` tall and only
// the rows in view (plus an overscan) exist in the DOM, positioned with
// transforms. Data comes in pages of summaries (`listMessages(folder, { limit,
// cursor, fields: "summary" })`, or `search`), cached by page number. The
// library pages by cursor only, so page n can be asked for once page n − 1 has
// given its `nextCursor`: the cursors of every page met are kept (small), the
// pages themselves only near the view; jumping far down walks the pages between,
// ten pages a request.
// After a change, the rows on screen stay until their page has been read again,
// so a sync writing pages never makes the list flicker.
//
// Selection is by message id (several with Ctrl/Shift, or Shift+arrows; Space
// toggles); the grid keeps focus and names the active row with
// aria-activedescendant; aria-rowcount/aria-rowindex tell assistive technology
// where a row sits in the whole list.
import { h, icon } from "./dom.js";
import { displayName, listDate } from "./format.js";

export const ROW_HEIGHT = 76;
/** Summaries per page read. */
export const PAGE = 100;
const OVERSCAN = 8;
/** Pages kept in memory around the view. */
const KEEP_PAGES = 30;
/** Pages read in one request while walking to a page far down (listMessages takes up to 1,000). */
const WALK_PAGES = 10;
const OUTGOING = ["sentitems", "drafts"];

/**
 * `element` is the scrolling grid. Callbacks: `onOpen(summary)` (click or Enter),
 * `onDelete()` (the Delete key), `onSelectionChange(ids)`, `onUpdate()` after each
 * draw (counts, empty states), `onError(error)` when a page cannot be read.
 */
export function createMessageList({ element, mailbox, avatars, onOpen, onDelete, onSelectionChange, onUpdate, onError }) {
  const canvas = element.querySelector(".list-canvas");
  let source = null;
  let total = 0;
  let exact = false;
  let pages = new Map();
  let stale = new Map();
  let cursors = new Map([[0, undefined]]);
  let lastPage = Infinity;
  let generation = 0;
  let failed = -1;
  let pumping = false;
  let frame = 0;
  /** index -> { element, data, state, avatar } */
  const rendered = new Map();
  let selected = new Set();
  let active = -1;
  let anchor = -1;
  /** An index whose row becomes the selection once its page arrives (after a move or a deletion). */
  let selectWhenLoaded = -1;

  const pageOf = (index) => Math.floor(index / PAGE);
  const rowAt = (index) => (pages.get(pageOf(index)) ?? stale.get(pageOf(index)))?.[index % PAGE] ?? null;

  /** The rows in view, with the overscan: [first, last], or null when there are none. */
  function viewRange() {
    const top = element.scrollTop;
    const height = element.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(total - 1, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    return last < first ? null : [first, last];
  }

  /** Reads the next missing page the view needs, walking from the nearest known cursor, until none is missing. */
  async function pump() {
    if (pumping) return;
    pumping = true;
    try {
      for (;;) {
        const range = viewRange();
        if (!range || failed === generation) break;
        let wanted = null;
        for (let p = pageOf(range[0]); p <= pageOf(range[1]) && p <= lastPage; p++) {
          if (!pages.has(p)) {
            wanted = p;
            break;
          }
        }
        if (wanted === null) break;
        let from = wanted;
        while (!cursors.has(from)) from -= 1;
        await load(from, Math.min(WALK_PAGES, wanted - from + 1), generation);
      }
    } finally {
      pumping = false;
    }
  }

  /** Reads `span` pages from page `number` (whose cursor is known) in one request. */
  async function load(number, span, gen) {
    const options = { limit: span * PAGE, cursor: cursors.get(number) };
    let page;
    try {
      page = source.kind === "folder"
        ? await mailbox.listMessages(source.folderId, { ...options, fields: "summary" })
        : await mailbox.search(source.query, options);
    } catch (error) {
      if (gen === generation) {
        failed = gen;
        onError(error);
      }
      return;
    }
    if (gen !== generation) return;
    accept(number, page, span);
    draw();
  }

  /**
   * Takes in what a request for `span` pages from page `number` read: their
   * rows, the cursor of the page after them, or the end of the list.
   */
  function accept(number, page, span = 1) {
    const rows = page.value;
    const filled = Math.max(1, Math.ceil(rows.length / PAGE));
    for (let i = 0; i < Math.min(span, filled); i++) {
      pages.set(number + i, rows.slice(i * PAGE, (i + 1) * PAGE));
      stale.delete(number + i);
    }
    if (!page.nextCursor) {
      lastPage = number + filled - 1;
      total = number * PAGE + rows.length;
      exact = true;
    } else if (rows.length === span * PAGE) {
      cursors.set(number + span, page.nextCursor);
      // The folder's count may lag behind what is listed (or a search has more): make room for the next page.
      total = Math.max(total, (number + span) * PAGE + 1);
    }
    evict(number + span - 1);
  }

  /** Drops the pages farthest from `near` beyond KEEP_PAGES (their cursors stay). */
  function evict(near) {
    if (pages.size <= KEEP_PAGES) return;
    const far = [...pages.keys()].sort((a, b) => Math.abs(b - near) - Math.abs(a - near));
    for (const number of far.slice(0, pages.size - KEEP_PAGES)) pages.delete(number);
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; draw(); });
  }

  function fill(row, index, data) {
    row.avatar?.dispose();
    row.avatar = null;
    row.data = data;
    const el = row.element;
    el.id = `msg-row-${index}`;
    el.setAttribute("aria-rowindex", String(index + 1));
    el.dataset.index = String(index);
    el.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
    if (!data) {
      el.className = "row loading";
      el.removeAttribute("data-id");
      el.setAttribute("aria-selected", "false");
      el.firstChild.replaceChildren(h("span", { class: "from" }, "Loading…"));
      return;
    }
    const outgoing = source.kind === "folder" && OUTGOING.includes(source.folderId);
    const who = outgoing ? data.toRecipients?.[0] : data.from ?? data.sender;
    const name = outgoing ? (data.toRecipients ?? []).map(displayName).join(", ") : displayName(who);
    row.avatar = avatars.avatar(who?.emailAddress?.address, displayName(who));
    const flagged = data.flag?.flagStatus === "flagged";
    el.className = `row${data.isRead ? "" : " unread"}`;
    el.dataset.id = data.id;
    el.firstChild.replaceChildren(
      row.avatar.node,
      h("span", { class: "from" }, data.isRead ? "" : h("span", { class: "visually-hidden" }, "Unread. "), name || "(no sender)"),
      h("time", { class: "date", datetime: data.receivedDateTime ?? "" }, listDate(data.receivedDateTime)),
      h("span", { class: "subject" }, data.subject || "(no subject)"),
      h("span", { class: "marks" },
        flagged && h("span", { class: "flagged", title: "Flagged" }, icon("flag"), h("span", { class: "visually-hidden" }, "Flagged")),
        data.hasAttachments && h("span", { title: "Has attachments" }, icon("attach"), h("span", { class: "visually-hidden" }, "Has attachments")),
        data["@offlineMailbox.bodyWithheld"] && h("span", { title: "Protected" }, icon("lock"), h("span", { class: "visually-hidden" }, "Protected"))),
      h("span", { class: "preview" }, data.bodyPreview ?? ""),
    );
  }

  function release(row) {
    row.avatar?.dispose();
    row.element.remove();
  }

  function draw() {
    element.setAttribute("aria-rowcount", source?.kind === "search" && !exact ? "-1" : String(total));
    canvas.style.height = `${total * ROW_HEIGHT}px`;
    const range = viewRange();
    for (const [index, row] of rendered) {
      if (!range || index < range[0] || index > range[1]) {
        release(row);
        rendered.delete(index);
      }
    }
    if (range) {
      for (let index = range[0]; index <= range[1]; index++) {
        const data = rowAt(index);
        // Only a freshly read row takes the selection's place: a stale one may be the message just removed.
        const fresh = pages.get(pageOf(index))?.[index % PAGE];
        if (fresh && selectWhenLoaded === index) {
          selectWhenLoaded = -1;
          selected = new Set([fresh.id]);
          onSelectionChange([...selected]);
        }
        let row = rendered.get(index);
        if (!row) {
          row = { element: h("div", { role: "row" }, h("div", { role: "gridcell", class: "cell" })), data: undefined, state: "" };
          rendered.set(index, row);
        }
        if (row.data !== data) fill(row, index, data);
        const isSelected = Boolean(data && selected.has(data.id));
        const state = `${isSelected} ${index === active}`;
        if (row.state !== state) {
          row.state = state;
          row.element.setAttribute("aria-selected", String(isSelected));
          row.element.classList.toggle("active", index === active);
        }
      }
      // Keep the DOM in row order, so reading order follows the list.
      const ordered = [...rendered.keys()].sort((a, b) => a - b).map((index) => rendered.get(index).element);
      if (ordered.some((el, i) => canvas.children[i] !== el)) canvas.replaceChildren(...ordered);
    }
    if (rendered.has(active)) element.setAttribute("aria-activedescendant", `msg-row-${active}`);
    else element.removeAttribute("aria-activedescendant");
    onUpdate();
    pump();
  }

  /**
   * Shows `next` ({ kind: "folder", folderId } or { kind: "search", query }) from
   * its top; `count` is a folder's total as last known, `firstPage` its first
   * page if already read (PAGE summaries, as listMessages gave them).
   */
  function show(next, count = 0, firstPage = null) {
    source = next;
    generation += 1;
    pages = new Map();
    stale = new Map();
    cursors = new Map([[0, undefined]]);
    lastPage = Infinity;
    exact = false;
    // At least one (loading) row until the first page says how many there are: a count may lag.
    total = Math.max(next.kind === "folder" ? count : 1, 1);
    selected = new Set();
    active = -1;
    anchor = -1;
    selectWhenLoaded = -1;
    for (const row of rendered.values()) release(row);
    rendered.clear();
    element.scrollTop = 0;
    // A first page of another size than PAGE cannot be page 0; it is read again instead.
    if (firstPage && (firstPage.value.length === PAGE || !firstPage.nextCursor)) accept(0, firstPage);
    draw();
    onSelectionChange([]);
  }

  /**
   * Reads the source again after a change: `count` is the folder's new total,
   * `ids` the changed messages (null: unknown). A change to rows already listed
   * that leaves the count alone (read state, flag) keeps the cursors, so only the
   * pages in view are read again; anything else reads from the top.
   */
  function refresh({ count, ids } = {}) {
    if (!source) return;
    const listed = (id) => [...pages.values()].some((page) => page.some((m) => m.id === id));
    const inPlace = source.kind === "folder" && count === total && Array.isArray(ids) && ids.length > 0 && ids.every(listed);
    const range = viewRange();
    const inView = (number) => range && number >= pageOf(range[0]) && number <= pageOf(range[1]);
    stale = new Map([...stale, ...pages].filter(([number]) => inView(number)));
    pages = new Map();
    generation += 1;
    if (!inPlace) {
      cursors = new Map([[0, undefined]]);
      lastPage = Infinity;
      exact = false;
      if (source.kind === "folder") total = Math.max(count ?? total, 1);
    }
    schedule();
  }

  function scrollIntoView(index) {
    const top = index * ROW_HEIGHT;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + ROW_HEIGHT > element.scrollTop + element.clientHeight) element.scrollTop = top + ROW_HEIGHT - element.clientHeight;
  }

  function selectRange(from, to) {
    const ids = [];
    for (let i = Math.min(from, to); i <= Math.max(from, to); i++) {
      const data = rowAt(i);
      if (data) ids.push(data.id);
    }
    selected = new Set(ids);
  }

  /** Makes row `index` active; selects it alone, or the range from the anchor with `extend`. */
  function moveTo(index, { extend = false } = {}) {
    if (total === 0) return;
    active = Math.max(0, Math.min(total - 1, index));
    if (extend && anchor >= 0) selectRange(anchor, active);
    else {
      anchor = active;
      const data = rowAt(active);
      selected = new Set(data ? [data.id] : []);
      selectWhenLoaded = data ? -1 : active;
    }
    scrollIntoView(active);
    draw();
    onSelectionChange([...selected]);
  }

  canvas.addEventListener("click", (event) => {
    const rowElement = event.target.closest(".row");
    element.focus({ preventScroll: true });
    if (!rowElement) return;
    const index = Number(rowElement.dataset.index);
    const data = rowAt(index);
    if (!data) return;
    if (event.shiftKey && anchor >= 0) selectRange(anchor, index);
    else if (event.ctrlKey || event.metaKey) {
      if (selected.has(data.id)) selected.delete(data.id);
      else selected.add(data.id);
      anchor = index;
    } else {
      selected = new Set([data.id]);
      anchor = index;
      onOpen(data);
    }
    active = index;
    draw();
    onSelectionChange([...selected]);
  });

  element.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const perPage = Math.max(1, Math.floor(element.clientHeight / ROW_HEIGHT) - 1);
    const moves = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1, PageDown: perPage, PageUp: -perPage };
    if (event.key in moves) moveTo((active < 0 ? -1 : active) + moves[event.key], { extend: event.shiftKey });
    else if (event.key === "Home") moveTo(0, { extend: event.shiftKey });
    else if (event.key === "End") moveTo(total - 1, { extend: event.shiftKey });
    else if (event.key === "Enter" && rowAt(active)) onOpen(rowAt(active));
    else if (event.key === " " && rowAt(active)) {
      const { id } = rowAt(active);
      if (selected.has(id)) selected.delete(id);
      else selected.add(id);
      draw();
      onSelectionChange([...selected]);
    } else if (event.key === "Delete" && selected.size) onDelete();
    else return;
    event.preventDefault();
  });

  element.addEventListener("scroll", schedule, { passive: true });
  new ResizeObserver(schedule).observe(element);

  return {
    show,
    refresh,
    /** The rows in the source (search: those known so far). */
    get total() { return total; },
    /** Whether `total` is exact (a search knows only once it has read its last page). */
    get exact() { return source?.kind === "folder" || exact; },
    get source() { return source; },
    /** Whether rows with data are on screen. */
    get hasRows() { return [...rendered.values()].some((row) => row.data); },
    selectedIds: () => [...selected],
    /** The summaries of the selected messages that are in memory. */
    selectedSummaries: () => [...pages.values(), ...stale.values()].flat().filter((m) => selected.has(m.id)),
    /** After the selection left the list: select whatever row takes its place. */
    selectionRemoved() {
      selected = new Set();
      selectWhenLoaded = active;
      onSelectionChange([]);
    },
    /** Draws again (the avatars changed). */
    redraw() {
      for (const row of rendered.values()) row.data = undefined;
      draw();
    },
    focus: () => element.focus(),
  };
}
