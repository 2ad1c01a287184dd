// The mailbox in a dedicated module worker; the page calls it through
// mailbox-client.js. README ("Using it in a Web Worker") shows this file.
import init, { OfflineMailbox } from "offline-mailbox";

const ready = init();
let mailbox;

// Functions cannot be posted to a worker: the calls whose options take one are
// completed here, and what they report is posted to the page as an event.
const report = (event) => (detail) => postMessage({ event, detail });
const calls = {
  async open(options) {
    mailbox = await OfflineMailbox.open({ ...options, onUpgradeProgress: report("progress") });
    for (const type of ["change", "leaderchange", "close"]) mailbox.addEventListener(type, ({ detail }) => report(type)(detail));
  },
  // The page sends a current token with each sync (MSAL runs on the page).
  sync: ({ accessToken, ...options }) => mailbox.sync({ ...options, getAccessToken: () => accessToken, onProgress: report("progress") }),
  verify: (options) => mailbox.verify({ ...options, onProgress: report("progress") }),
  rotateDataKey: () => mailbox.rotateDataKey({ onProgress: report("progress") }),
};

onmessage = async ({ data: { id, method, args } }) => {
  try {
    await ready;
    const member = calls[method] ?? mailbox[method]; // a method, or a property such as isLeader
    const result = typeof member === "function" ? await member.apply(mailbox, args) : member;
    postMessage({ id, result });
  } catch (error) {
    // A posted Error arrives as a plain "Error" with its message alone: send the name, code and fields.
    postMessage({ id, error: { ...error, name: error.name, message: error.message } });
  }
};
