// mail-worker.js as a TypeScript app writes it, compiled by package.test.mjs
// with lib "WebWorker" (no DOM): the shipped .d.ts must type-check in a worker
// too, and type the events and errors that are posted to the page.
import init, { OfflineMailbox } from "offline-mailbox";
import type { ErrorCode, OfflineMailboxError, OfflineMailboxEventMap, OpenOptions, SyncOptions } from "offline-mailbox";

/** What the worker posts back: an answer, an error's cloneable fields, or an event. */
export type Reply =
  | { id: number; result: unknown }
  | { id: number; error: { name: string; message: string; code?: ErrorCode; field?: string; index?: number | null } }
  | { [K in keyof OfflineMailboxEventMap]: { event: K; detail: OfflineMailboxEventMap[K]["detail"] } }[keyof OfflineMailboxEventMap];

type Call =
  | { id: number; method: "open"; args: [OpenOptions] }
  | { id: number; method: "sync"; args: [Omit<SyncOptions, "getAccessToken" | "signal" | "onProgress"> & { accessToken: string }] }
  | { id: number; method: "putMessages"; args: Parameters<OfflineMailbox["putMessages"]> }
  | { id: number; method: "isLeader"; args: [] };

const ready = init();
let mailbox: OfflineMailbox | undefined;
const post = (reply: Reply) => postMessage(reply);

function isMailboxError(error: unknown): error is OfflineMailboxError {
  return error instanceof Error && error.name === "OfflineMailboxError";
}

async function answer(request: Call, open: () => OfflineMailbox): Promise<unknown> {
  switch (request.method) {
    case "open": {
      mailbox = await OfflineMailbox.open(request.args[0]);
      mailbox.addEventListener("change", ({ detail }) => post({ event: "change", detail }));
      mailbox.addEventListener("leaderchange", ({ detail }) => post({ event: "leaderchange", detail }));
      mailbox.addEventListener("close", ({ detail }) => post({ event: "close", detail }));
      return null;
    }
    case "sync": {
      const { accessToken, ...options } = request.args[0];
      return open().sync({ ...options, getAccessToken: () => accessToken });
    }
    case "putMessages":
      return open().putMessages(...request.args);
    case "isLeader":
      return open().isLeader;
  }
}

self.onmessage = async ({ data }: MessageEvent<Call>) => {
  const open = () => {
    if (!mailbox) throw new Error("open first");
    return mailbox;
  };
  try {
    await ready;
    post({ id: data.id, result: await answer(data, open) });
  } catch (error) {
    if (!isMailboxError(error)) throw error;
    const { name, message, code, field, index } = error;
    post({ id: data.id, error: { name, message, code, field, index } });
  }
};
