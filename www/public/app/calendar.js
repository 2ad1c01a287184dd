// The calendar: a week view (Monday to Sunday, in the browser's time zone) over
// the events of the offline copy (`mailbox.events({ start, end })`), with an
// all-day row and an hour grid where overlapping events sit side by side. The
// corpus calendar is dense (over a hundred events a week), so a day shows at
// most three events side by side and three all-day events, and says how many
// more there are. It opens on the demo's week (config.calendar.week): the corpus
// calendar lies in 2024, not around today.
import { h, icon } from "./dom.js";
import { count } from "./format.js";

const HOUR_PX = 48;
const DAY_MS = 86_400_000;
const MAX_COLUMNS = 3;
const MAX_ALL_DAY = 3;
const weekday = new Intl.DateTimeFormat(undefined, { weekday: "short" });
const dayLabel = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
const monthTitle = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric" });
const rangeDay = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", year: "numeric" });
const clock = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const hourOnly = new Intl.DateTimeFormat(undefined, { hour: "numeric" });

/** A Graph dateTime in UTC ("2024-06-04T09:30:00.0000000") as epoch ms. */
const utc = (dateTime) => Date.parse(`${dateTime.slice(0, 23)}Z`);
const addDays = (date, days) => new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);

/** Lays out one day's timed events: each gets a column of its cluster of overlapping events. */
function columns(events) {
  const sorted = [...events].sort((a, b) => a.start - b.start || b.end - a.end);
  const placed = [];
  let cluster = [];
  let clusterEnd = -Infinity;
  const close = () => {
    const width = Math.max(...cluster.map((e) => e.column)) + 1;
    for (const e of cluster) e.columns = width;
    cluster = [];
  };
  for (const event of sorted) {
    if (event.start >= clusterEnd && cluster.length) close();
    const ends = [];
    for (const other of cluster) ends[other.column] = Math.max(ends[other.column] ?? -Infinity, other.end);
    let column = 0;
    while (ends[column] !== undefined && ends[column] > event.start) column += 1;
    event.column = column;
    cluster.push(event);
    placed.push(event);
    clusterEnd = Math.max(clusterEnd, event.end);
  }
  if (cluster.length) close();
  return placed;
}

export function createCalendar({ element, mailbox, config }) {
  const firstWeek = new Date(`${config.calendar.week}T00:00:00`);
  let weekStart = firstWeek;
  let token = 0;
  const kept = { start: Date.parse(config.calendar.window.start), end: Date.parse(config.calendar.window.end) };

  const title = h("h2", { id: "calendar-title" });
  const range = h("span", { class: "window-note" });
  const week = h("div", { class: "week", role: "group", "aria-labelledby": "calendar-title" });
  const nav = (label, iconName, days) => h("button", { type: "button", class: "icon-button", "aria-label": label, on: { click: () => go(addDays(weekStart, days)) } }, icon(iconName));
  element.replaceChildren(
    h("div", { class: "calendar-bar" },
      h("button", { type: "button", on: { click: () => go(firstWeek) } }, "Demo week"),
      nav("Previous week", "chevronLeft", -7),
      nav("Next week", "chevronRight", 7),
      title,
      range),
    week,
  );

  function eventItem(event, org) {
    const item = h("li", { class: `event${org ? " org" : ""}`, title: [event.subject, event.location?.displayName].filter(Boolean).join(" · ") },
      h("span", { class: "event-subject" }, event.subject || "(no title)"));
    return item;
  }

  function render(events) {
    const days = Array.from({ length: 7 }, (_, i) => addDays(weekStart, i));
    const org = (event) => config.orgDomains.includes(String(event.organizer?.emailAddress?.address ?? "").split("@").pop());
    const spans = events.map((event) => ({ event, start: utc(event.start.dateTime), end: utc(event.end.dateTime) }));
    const allDay = spans.filter((s) => s.event.isAllDay || s.end - s.start >= DAY_MS);
    const timed = spans.filter((s) => !allDay.includes(s));

    const heads = days.map((day) => h("div", { class: "day-head" },
      h("div", { class: "weekday" }, weekday.format(day)), h("div", { class: "date" }, String(day.getDate()))));
    const allDayCells = days.map((day) => {
      const from = day.getTime();
      const to = addDays(day, 1).getTime();
      const here = allDay.filter((s) => s.start < to && (s.end > from || (s.end === s.start && s.start >= from)));
      const items = here.slice(0, MAX_ALL_DAY).map((s) => eventItem(s.event, org(s.event)));
      if (here.length > MAX_ALL_DAY) items.push(h("li", { class: "more" }, `+${here.length - MAX_ALL_DAY} more`));
      return h("ul", { class: "all-day", "aria-label": `All day, ${dayLabel.format(day)}` }, ...items);
    });
    const dayColumns = days.map((day) => {
      const from = day.getTime();
      const to = addDays(day, 1).getTime();
      const here = timed
        .filter((s) => s.start < to && (s.end > from || (s.end === s.start && s.start >= from)))
        .map((s) => ({ ...s, start: Math.max(s.start, from), end: Math.min(Math.max(s.end, s.start + 15 * 60_000), to) }));
      const column = h("ul", { class: "day-column", "aria-label": dayLabel.format(day) });
      column.style.height = `${24 * HOUR_PX}px`;
      let hidden = 0;
      for (const s of columns(here)) {
        if (s.column >= MAX_COLUMNS) {
          hidden += 1;
          continue;
        }
        const shown = Math.min(s.columns, MAX_COLUMNS);
        const item = eventItem(s.event, org(s.event));
        item.append(h("span", { class: "event-time" }, `${clock.format(utc(s.event.start.dateTime))} – ${clock.format(utc(s.event.end.dateTime))}`));
        item.style.top = `${((s.start - from) / 3_600_000) * HOUR_PX}px`;
        item.style.height = `${Math.max(((s.end - s.start) / 3_600_000) * HOUR_PX - 2, 18)}px`;
        item.style.left = `${(s.column / shown) * 100}%`;
        item.style.width = `calc(${100 / shown}% - 2px)`;
        column.append(item);
      }
      if (hidden) {
        const more = h("li", { class: "event-more" }, `+${hidden} more`);
        more.style.top = "2px";
        column.append(more);
      }
      return column;
    });
    const hours = h("div", { class: "hours", "aria-hidden": "true" },
      ...Array.from({ length: 24 }, (_, hour) => h("div", { class: "hour-label" }, hour ? hourOnly.format(new Date(2024, 0, 1, hour)) : "")));
    const scroller = h("div", { class: "week-scroll", tabindex: "0", role: "group", "aria-label": "Hours of the week" },
      h("div", { class: "week-grid" }, hours, ...dayColumns));
    week.replaceChildren(h("div", { class: "gutter-label", "aria-hidden": "true" }), ...heads,
      h("div", { class: "gutter-label" }, "All day"), ...allDayCells, scroller);
    scroller.scrollTop = 8 * HOUR_PX;
    week.dataset.events = String(events.length);
  }

  async function load() {
    const my = ++token;
    const end = addDays(weekStart, 7);
    title.textContent = monthTitle.format(weekStart);
    const inWindow = weekStart.getTime() < kept.end && end.getTime() > kept.start;
    element.dataset.state = "loading";
    let events = [];
    try {
      events = await mailbox.events({ start: weekStart.getTime(), end: end.getTime() });
    } catch {
      events = [];
    }
    if (my !== token) return;
    range.textContent = `${rangeDay.format(weekStart)} – ${rangeDay.format(addDays(weekStart, 6))} · ${count(events.length)} events` +
      (inWindow ? "" : " · outside the calendar kept offline");
    render(events);
    element.dataset.state = "ready";
    element.dataset.week = `${weekStart.getFullYear()}-${String(weekStart.getMonth() + 1).padStart(2, "0")}-${String(weekStart.getDate()).padStart(2, "0")}`;
  }

  function go(date) {
    weekStart = date;
    return load();
  }

  return { load, get weekStart() { return weekStart; } };
}
