// What package.test.mjs checks of the package in a dedicated worker, run by a
// page: the worker (mail-worker.js, through mailbox-client.js) holds the
// mailbox; the page opens the same user's mailbox as the second context.
// Resolves to plain data for the test to assert.
import { OfflineMailbox } from "offline-mailbox";
import { connectMailbox } from "./mailbox-client.js";

/** The next `type` event's detail from `target`. */
const next = (target, type) => new Promise((resolve) => target.addEventListener(type, ({ detail }) => resolve(detail), { once: true }));

/** The rejection of `promise`, as the fields an app reads. */
async function failure(promise) {
  try {
    await promise;
    return null;
  } catch (error) {
    const { name, code, message, field, index } = error;
    return { name, code, message, field, index, isError: error instanceof Error };
  }
}

const message = (id, subject, receivedDateTime) => ({
  id, subject, parentFolderId: "inbox", isRead: false, receivedDateTime,
  from: { emailAddress: { name: "Adele Vance", address: "adelev@contoso.com" } },
  body: { contentType: "text", content: `${subject}, in full` },
});

export async function runWorkerScenario(worker, { userId, orgServer }) {
  const mailbox = connectMailbox(worker);
  const out = {};
  const key = crypto.getRandomValues(new Uint8Array(32));
  const progress = [];
  mailbox.addEventListener("progress", ({ detail }) => progress.push(detail));

  await mailbox.call("open", { userId, key, orgServer, orgDomains: ["contoso.com"], computer: "private" });
  const leading = next(mailbox, "leaderchange");
  // navigator.storage.persist() is Window-only: in a worker it must neither throw nor hang.
  await mailbox.call("enableOffline", { persist: true });
  out.leaderchange = await leading;
  out.isLeader = await mailbox.call("isLeader");
  out.offlineEnabled = await mailbox.call("offlineEnabled");

  const now = Date.now();
  const iso = (minutesAgo) => new Date(now - minutesAgo * 60_000).toISOString();
  await mailbox.call("putFolders", [{ id: "inbox", displayName: "Inbox", wellKnownName: "inbox" }]);
  const localChange = next(mailbox, "change");
  await mailbox.call("putMessages", [
    message("w-1", "Quarterly report from the worker", iso(2)),
    message("w-2", "Lunch on Friday", iso(1)),
  ]);
  out.localChange = await localChange;
  out.getMessage = await mailbox.call("getMessage", "w-1");
  out.search = (await mailbox.call("search", "quarterly")).value.map((m) => m.id);
  out.list = (await mailbox.call("listMessages", "inbox", { limit: 1 })).value.map((m) => m.subject);
  out.invalid = await failure(mailbox.call("putMessages", [{ id: "ok" }, { subject: "no id" }]));
  out.afterInvalid = await mailbox.call("getMessage", "ok");

  const photo = await mailbox.call("senderPhoto", "adelev@contoso.com", { size: "HR64x64" });
  out.photo = { isBlob: photo instanceof Blob, type: photo.type, bytes: [...new Uint8Array(await photo.arrayBuffer())] };

  // A sync in the worker: getAccessToken and onProgress are made there.
  out.sync = await mailbox.call("sync", { accessToken: "token-from-the-page", folders: ["inbox"], contacts: false });
  out.syncProgress = progress.map((p) => p.phase);
  out.synced = (await mailbox.call("getMessage", "g-1"))?.subject ?? null;

  out.storage = await mailbox.call("storage");

  // Progress callbacks of verify and rotateDataKey, made in the worker, reach the page as events.
  progress.length = 0;
  out.verify = await mailbox.call("verify");
  out.verifyProgress = progress.splice(0);
  await mailbox.call("rotateDataKey");
  out.rotateProgress = progress.splice(0);
  out.afterRotate = (await mailbox.call("getMessage", "w-1"))?.subject ?? null;

  // The page, a second context of the same user: it hears the worker's writes,
  // and the worker hears its writes, through BroadcastChannel.
  const page = await OfflineMailbox.open({ userId, key });
  out.page = { offlineEnabled: page.offlineEnabled, isLeader: page.isLeader };
  const heardByPage = next(page, "change");
  await mailbox.call("markRead", ["w-2"], true);
  out.heardByPage = await heardByPage;
  const heardByWorker = next(mailbox, "change");
  await page.putMessages([message("p-1", "Written by the page", iso(0))]);
  out.heardByWorker = await heardByWorker;
  out.workerReadsPageWrite = (await mailbox.call("getMessage", "p-1"))?.subject ?? null;

  // Closing the worker's mailbox releases its Web Lock: the page leads.
  const pageLeads = next(page, "leaderchange");
  await mailbox.call("close");
  out.pageLeaderchange = await pageLeads;
  out.closed = await failure(mailbox.call("getMessage", "w-1"));
  page.close();
  worker.terminate();
  return out;
}
