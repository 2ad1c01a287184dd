// The first thing the page runs: its own module script, small, ahead of the rest
// of the client. It starts the worker (whose WebAssembly then compiles while the
// page's other modules load) and, when the tab already has a session, opens the
// encrypted cache and reads the folders and the inbox's first page at once: after
// a reload, the list has its rows the moment the client is ready to draw them.
// The session names its org server, so none of this waits for the configuration,
// which is fetched meanwhile. Each step leaves a User Timing mark (boot,
// worker-ready, cache-opened, first-page-read; main.js adds first-rows), so a
// slow start can be taken apart (the reload test reports them).
import { connect } from "./rpc.js";
import { openMailbox, savedSession } from "./session.js";

/**
 * The size of the inbox's first page read here: the list's page size (PAGE in
 * list.js), so that it serves as the list's first page. Not imported from
 * list.js, to keep this module's own imports to the two it needs.
 */
const FIRST_PAGE = 100;

/**
 * Opens `session`'s mailbox; resolves to `{ state, folders, firstPage }` (the
 * folder list and the inbox's first page only when offline is on).
 */
export async function openCache(rpc, session) {
  const state = await openMailbox(rpc, session);
  performance.mark("cache-opened");
  if (!state.offlineEnabled) return { state, folders: null, firstPage: null };
  const [folders, firstPage] = await Promise.all([
    rpc.mailbox.folders(),
    rpc.mailbox.listMessages("inbox", { limit: FIRST_PAGE, fields: "summary" }),
  ]);
  performance.mark("first-page-read");
  return { state, folders, firstPage };
}

/** `{ config, rpc, saved, cache }`: `saved` is the tab's session or null, `cache` what openCache gave for it. */
export const booted = (async () => {
  performance.mark("boot");
  const connecting = connect("/worker/mailbox.worker.js");
  const configuring = fetch("/config.json").then((response) => response.json());
  const rpc = await connecting;
  performance.mark("worker-ready");
  const saved = savedSession();
  // Started now, awaited by main.js; a failure is main.js's to show.
  const cache = saved ? openCache(rpc, saved) : null;
  cache?.catch(() => {});
  return { config: await configuring, rpc, saved, cache };
})();
