// The negative control of package.test.mjs: each line marked `// misuse` is a
// mistake the shipped .d.ts must reject under `tsc --strict`, and nothing else
// in this file is wrong, so tsc must report exactly those lines.
import init, { OfflineMailbox } from "offline-mailbox";

await init();
const mailbox = await OfflineMailbox.open({ userId: "u", key: new Uint8Array(32) });
await mailbox.listMessages(42); // misuse: a folder id is a string
await mailbox.listMessages("inbox", { limt: 5 }); // misuse: no such option
await mailbox.enableOffline({ persist: "yes" }); // misuse: persist is a boolean
await OfflineMailbox.open({ key: new Uint8Array(32) }); // misuse: userId is required
mailbox.addEventListener("leaderchange", ({ detail }) => detail.kinds); // misuse: that is a change's detail
mailbox.addEventListener("chnage", () => {}); // misuse: no such event
console.log((await mailbox.getMessage("m-1")).subject); // misuse: the message may be null
await mailbox.search("budget", { folderId: ["inbox"] }); // misuse: one folder id
