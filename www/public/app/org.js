// The page's own requests: to the organization's server (the user's offline key
// at sign-in, the admin's policy, a reachability check) and to the demo app's
// stand-ins for the network and the admin. Everything else the org server is
// asked (Graph sync, photos, cards) goes through the library in the worker.
// Requests carry no referrer; only the key request sends the org's cookies.

/** GETs `path` on the org server; rejects with `code: "Network"` when it cannot be reached. */
async function orgFetch(orgServer, path, { credentials = "omit", timeout = 8000 } = {}) {
  try {
    return await fetch(`${orgServer}${path}`, { credentials, referrerPolicy: "no-referrer", cache: "no-store", signal: AbortSignal.timeout(timeout) });
  } catch (error) {
    throw Object.assign(new Error(`the organization's server cannot be reached (${error.message})`), { code: "Network" });
  }
}

async function orgJson(orgServer, path, options) {
  const response = await orgFetch(orgServer, path, options);
  if (!response.ok) throw Object.assign(new Error(`the organization's server answered ${response.status}`), { code: "Server" });
  return response.json();
}

/** The user's 32 bytes of offline key material, as the org server hands them out at sign-in. */
export async function offlineKey(orgServer, userId) {
  const { key } = await orgJson(orgServer, `/api/offline-key?user=${encodeURIComponent(userId)}`, { credentials: "include" });
  return Uint8Array.from(atob(key), (c) => c.charCodeAt(0));
}

/** The admin's policy for the user's mailbox: `{ allowOfflineOn, displayPhotosEnabled, contactCardEnabled }`. */
export const policy = (orgServer) => orgJson(orgServer, "/api/policy");

/** Whether the org server answers at all (a short request; navigator.onLine says nothing about it). */
export async function reachable(orgServer) {
  try {
    return (await orgFetch(orgServer, "/api/health", { timeout: 4000 })).ok;
  } catch {
    return false;
  }
}

async function demoPost(path, body) {
  const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

/** The demo stand-ins' state: `{ online, policy }`. */
export const demoState = async () => (await fetch("/demo/network", { cache: "no-store" })).json();

/** The demo's network switch: cuts the org server stand-in off (false) or reconnects it. */
export const setNetwork = (online) => demoPost("/demo/network", { online });

/** The demo's admin console: changes the policy on the org server stand-in. */
export const pushPolicy = (next) => demoPost("/demo/policy", next);
