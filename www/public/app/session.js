// The signed-in session: who the user is, what they chose at sign-in, the
// admin's last known policy, and the offline key, kept for the tab so that a
// reload can open the encrypted cache while the org server is unreachable.
//
// Where the key lives, and why: in sessionStorage, for this tab only.
// - It must survive a reload with the network gone (that is what offline mail
//   is for), so it cannot stay in memory alone; and the org server that hands
//   it out may be unreachable then.
// - It must not be stored next to the data. IndexedDB and localStorage keep
//   their contents on disk until deleted, beside the encrypted database: a
//   copy of the profile would carry the lock and its key together. (A
//   non-extractable CryptoKey in IndexedDB is no better: the browser writes its
//   bytes into the same database files.)
// - sessionStorage belongs to one tab: a reload keeps it, closing the tab
//   drops it, other tabs do not see it.
// The trade-off, stated plainly: while the tab lives, any script running in the
// page's origin can read the key (it could call the open mailbox anyway), and
// browsers may write session storage into the profile for session restore
// (Chromium's "Session Storage" folder, Firefox's session store), so a copy of
// the profile taken while the tab is open, or of a crashed session waiting to
// be restored, can hold it; Chromium also leaves a removed entry in its files
// until it compacts them. So the key is kept only where it buys something: on a
// private computer, with offline on (after the user's consent and the admin's
// leave), where the encrypted copy it opens is kept anyway. On a public
// computer, before consent, or with offline off, nothing is kept and a reload
// signs in again. Once the tab is closed, the offline copy stays sealed until
// the user signs in online again (the org server hands the key out again).
// Signing out removes the key. The display name is not kept.

const STORAGE_KEY = "offline-mailbox-demo/session";

/**
 * What the offline copy keeps. The corpus spans 1980 to 2028, so the demo keeps
 * it all (the library's limits: 100 years, a million messages per folder); a
 * real client keeps the library's defaults (31 days, 5,000 per folder).
 */
export const RETENTION = { mailDays: 36_500, maxMessagesPerFolder: 1_000_000, calendarPastDays: 36_500, calendarFutureDays: 36_500 };

const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/**
 * The tab's session, or null: `{ userId, computer, policy, orgServer,
 * orgDomains, key: Uint8Array }` (the org server it belongs to, so that a reload
 * opens the cache without waiting for anything).
 */
export function savedSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY));
    return saved ? { ...saved, key: fromBase64(saved.key) } : null;
  } catch {
    return null;
  }
}

/**
 * Keeps the session (and its key) for this tab when a reload may need it
 * offline: a private computer with offline on (`offlineEnabled`). Otherwise
 * forgets any kept session.
 */
export function saveSession(session, offlineEnabled) {
  if (session.computer !== "private" || !offlineEnabled) return forgetSession();
  const { name, ...kept } = session;
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ ...kept, key: toBase64(kept.key) }));
}

/** Forgets the session and its key. */
export function forgetSession() {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** Whether `policy` lets this computer keep mail offline (the rule the library applies too). */
export function offlineAllowed(policy, computer) {
  const where = policy?.allowOfflineOn ?? "AllComputers";
  return where === "AllComputers" || (where === "PrivateComputersOnly" && computer === "private");
}

/** Opens the session's mailbox in the worker; resolves to its state (`offlineEnabled`, ...). */
export function openMailbox(rpc, session, onUpgradeProgress) {
  return rpc.call("open", [{
    userId: session.userId,
    key: session.key,
    orgServer: session.orgServer,
    orgDomains: session.orgDomains,
    policy: session.policy,
    computer: session.computer,
    retention: RETENTION,
  }], { onProgress: onUpgradeProgress });
}
