// Keeping the offline copy in step with the server: `mailbox.sync()` (run in the
// worker) sends the outbox of offline actions, then pulls the Graph deltas of
// the folders, contacts and the calendar window. It runs in the leader tab only
// (one tab of the user syncs; the others hear the changes), every half minute,
// soon after the user acts, and as soon as the server can be reached again;
// never while it cannot (the library would retry for half a minute), and a
// sync under way is aborted when the connection goes.
// Shows the first download's progress, the sync status and the number of
// actions waiting in the outbox (updated on every `change`).
import { h } from "./dom.js";
import { count, plural } from "./format.js";

const EVERY_MS = 30_000;
const AFTER_ACTION_MS = 800;

export function createSync({ rpc, config, network, banners, statusElement, pendingElement, onSynced }) {
  let running = null;
  let controller = null;
  let again = false;
  let timer = 0;
  let soon = 0;
  let active = false;
  let completed = 0;

  const mailbox = rpc.mailbox;
  const status = (text) => { statusElement.textContent = text; };
  const setState = (state) => { document.body.dataset.syncState = state; };

  /** Shows the actions waiting for the server. */
  async function refreshPending() {
    const actions = await mailbox.pendingActions().catch(() => []);
    const refused = actions.filter((a) => a.failure).length;
    document.body.dataset.pending = String(actions.length);
    pendingElement.hidden = actions.length === 0;
    pendingElement.textContent = refused ? `${count(actions.length)} pending, ${count(refused)} refused` : `${count(actions.length)} pending`;
    pendingElement.title = `${plural(actions.length, "change")} waiting to be sent to the server`;
  }

  /** The progress banner of a first download: messages done out of the server's totals. */
  function firstSyncProgress() {
    const bar = h("progress", { max: "1", value: "0", "aria-label": "Download progress" });
    const label = h("span", {}, "Getting your mailbox ready for offline use…");
    banners.show("first-sync", [label, bar]);
    let totals = null;
    let done = 0;
    let last = 0;
    // The server's folder counts, as the folder delta stored them (folders() would count what is stored so far).
    const total = async () => {
      const folders = await Promise.all(config.folders.map((id) => mailbox.getFolder(id).catch(() => null)));
      return folders.reduce((sum, f) => sum + (f?.totalItemCount ?? 0), 0);
    };
    return {
      report(progress) {
        const created = progress.created - last;
        last = progress.created;
        if (progress.kind === "contacts" || progress.kind === "events") {
          label.textContent = `Downloading ${progress.kind === "contacts" ? "contacts" : "your calendar"}…`;
          bar.removeAttribute("value");
          return;
        }
        if (progress.kind !== "messages") return;
        done += created;
        totals ??= total();
        const now = done;
        totals.then((all) => {
          if (now !== done) return;
          bar.max = String(Math.max(all, done, 1));
          bar.value = String(done);
          Object.assign(document.body.dataset, { downloaded: String(done), downloadTotal: String(all) });
          label.textContent = `Downloading mail for offline use: ${count(done)} of ${count(Math.max(all, done))} messages`;
        });
      },
      finish: () => banners.hide("first-sync"),
    };
  }

  async function syncOnce() {
    const first = (await mailbox.deltaLink("messages", config.folders[0]).catch(() => null)) === null;
    const progress = first ? firstSyncProgress() : null;
    controller = new AbortController();
    setState("running");
    status(first ? "Downloading…" : "Syncing…");
    const started = performance.now();
    try {
      const report = await rpc.call("sync", [{ accessToken: "demo-token", folders: config.folders, calendarWindow: config.calendar.window, pageSize: 1000 }],
        { signal: controller.signal, onProgress: (p) => progress?.report(p) });
      network.report(true);
      completed += 1;
      document.body.dataset.syncs = String(completed);
      document.body.dataset.lastSyncMs = String(Math.round(performance.now() - started));
      status(report.failed ? `Up to date; ${plural(report.failed, "change")} refused` : "Up to date");
      setState("idle");
      onSynced(report, { first });
    } catch (error) {
      setState("idle");
      // Network also covers a server answer the library refuses: ask the server whether it is there.
      if (error.code === "Network") network.check();
      if (error.code !== "Aborted") status(error.code === "Network" ? "Offline" : `Sync failed: ${error.message}`);
    } finally {
      progress?.finish();
      controller = null;
      await refreshPending();
    }
  }

  /** Runs a sync now if this tab may (offline on, leading, server reachable); one at a time. */
  function run() {
    const { offlineEnabled, isLeader } = rpc.state;
    if (!active || !offlineEnabled || network.state === "offline") return Promise.resolve();
    if (!isLeader) {
      status("Another tab keeps mail up to date");
      return Promise.resolve();
    }
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await syncOnce();
      } while (again && active && network.state !== "offline");
    })().finally(() => { running = null; });
    return running;
  }

  return {
    run,
    refreshPending,
    get running() { return Boolean(running); },
    /** Starts the periodic sync (and one now). */
    start() {
      active = true;
      clearInterval(timer);
      timer = setInterval(run, EVERY_MS);
      refreshPending();
      return run();
    },
    /** Stops syncing, aborting a sync under way. */
    stop() {
      active = false;
      clearInterval(timer);
      clearTimeout(soon);
      controller?.abort();
      setState("idle");
    },
    /** The server just became unreachable: give up the sync under way (the next one resumes). */
    offline() {
      controller?.abort();
      status("Offline");
    },
    /** The user acted: send it soon. */
    soon() {
      clearTimeout(soon);
      soon = setTimeout(run, AFTER_ACTION_MS);
    },
  };
}
