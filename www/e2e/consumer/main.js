// The app package.test.mjs builds with `vite build`: the package on the page,
// then in a worker that Vite bundles from `new Worker(new URL(...))`.
import init, { OfflineMailbox } from "offline-mailbox";
import { runWorkerScenario } from "./worker-scenario.js";

async function onThePage() {
  await init();
  const mailbox = await OfflineMailbox.open({ userId: "vite-user", key: crypto.getRandomValues(new Uint8Array(32)) });
  await mailbox.enableOffline();
  const received = (i) => new Date(Date.now() - i * 60_000).toISOString();
  await mailbox.putMessages(["Budget review", "Quarterly budget", "Lunch"].map((subject, i) => (
    { id: `v-${i}`, parentFolderId: "inbox", subject, receivedDateTime: received(i) })));
  const getMessage = await mailbox.getMessage("v-1");
  const search = (await mailbox.search("budget")).value.map((m) => m.id);
  // Every page of the folder, two at a time: a null cursor is the first page.
  const pages = [];
  let cursor = null;
  do {
    const page = await mailbox.listMessages("inbox", { limit: 2, cursor });
    pages.push(page.value.map((m) => m.id));
    cursor = page.nextCursor;
  } while (cursor);
  mailbox.close();
  return { getMessage, search, pages };
}

const page = await onThePage();
const worker = new Worker(new URL("./mail-worker.js", import.meta.url), { type: "module" });
const inWorker = await runWorkerScenario(worker, { userId: "vite-worker-user", orgServer: location.origin });
window.result = { page, worker: inWorker };
