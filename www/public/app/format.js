// How the client writes dates, counts, names and initials, in the browser's
// locale and time zone.

const time = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const weekdayTime = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "numeric", minute: "2-digit" });
const dayMonth = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const fullDate = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "numeric", day: "numeric" });
const long = new Intl.DateTimeFormat(undefined, { weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
const number = new Intl.NumberFormat();

const sameDay = (a, b) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

/** A list's date, as a mail client shows it: the time today, the weekday this week, the day this year, else the date. */
export function listDate(iso, now = new Date()) {
  if (!iso) return "";
  const date = new Date(iso);
  const age = now - date;
  if (sameDay(date, now)) return time.format(date);
  if (age > 0 && age < 6 * 86_400_000) return weekdayTime.format(date);
  if (date.getFullYear() === now.getFullYear()) return dayMonth.format(date);
  return fullDate.format(date);
}

/** A reading pane's date: weekday, date and time. */
export const longDate = (iso) => (iso ? long.format(new Date(iso)) : "");

/** A count with the locale's digit grouping (6,046). */
export const count = (n) => number.format(n);

/** "1 message", "2 messages". */
export const plural = (n, one, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

/** Whom a Graph recipient names: the display name, else the address. */
export const displayName = (recipient) => recipient?.emailAddress?.name || recipient?.emailAddress?.address || "";

/** Up to two initials of a name (or of an address's local part). */
export function initials(name) {
  const words = String(name ?? "").replace(/@.*/, "").split(/[\s._-]+/).filter((w) => /\p{L}|\p{N}/u.test(w));
  const letters = words.length > 1 ? [words[0], words.at(-1)] : words.slice(0, 1);
  return letters.map((w) => [...w.replace(/[^\p{L}\p{N}]/gu, "")][0] ?? "").join("").toUpperCase() || "?";
}

// Dark enough for white initials to meet WCAG AA contrast (4.5:1).
const AVATAR_COLORS = ["#0f548c", "#8a3707", "#0e700e", "#7a1d75", "#5c2e91", "#a4262c", "#005b70", "#6b4e00"];

/** A stable avatar colour for `key` (a name or address). */
export function avatarColor(key) {
  let hash = 0;
  for (const char of String(key ?? "")) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return AVATAR_COLORS[hash % AVATAR_COLORS.length];
}

/** Lower-cases an address in ASCII only, as the library does before a lookup. */
export const normalAddress = (address) => String(address ?? "").trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
