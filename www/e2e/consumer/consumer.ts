// A TypeScript app's use of the whole public API, compiled with `tsc --strict`
// against the .d.ts shipped in the npm tarball (package.test.mjs). It is never
// run: it proves that the declarations accept what the README shows and type
// what comes back. Four checks make it complete rather than a sample:
// - `Required<Options>` objects name every field of every options interface;
// - `satisfies Fields<Report>` reads every field of every result;
// - `satisfies Members<...>` calls every member and static of OfflineMailbox;
// - `exactly<T>()` pins each result's type, so a declaration loosened to `any` fails.
// A field or method added to the .d.ts without being used here fails to compile.
import init, { initSync, OfflineMailbox } from "offline-mailbox";
import { OfflineMailbox as BundledMailbox } from "offline-mailbox/bundler";
import type {
  Contact, ContactCard, ContactQuery, ContactSearchOptions, DateTimeTimeZone, DeleteOptions,
  DeltaPage, DeltaSummary, EmailAddress, EnableOfflineOptions, ErrorCode, Event, EventRange,
  EventResponse, FieldsOptions, FollowupFlag, GraphItem, InitInput, InitOutput, ItemBody, ItemKind,
  KeyOptions, LeaderChange, ListOptions, MailboxChange, MailboxClose, MailboxPolicy, MailFolder,
  Message, MessageFields, MessagePage, MessageSummary, OfflineMailboxError, OfflineMailboxEventMap,
  OpenOptions, PendingAction, PhotoOptions, PhysicalAddress, PruneReport, QuarantineEntry, Recipient,
  Retention, RotateOptions, SearchOptions, SearchPage, SignOutOptions, StorageReport, SyncInitInput,
  SyncOptions, SyncReport, VerifyOptions, VerifyReport,
} from "offline-mailbox";

// ---------------------------------------------------------------- helpers

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;

/** Compiles only when `value`'s type is exactly `T`: a declaration loosened to `any` fails too. */
function exactly<T>() {
  return <V>(value: V & (Equal<V, T> extends true ? unknown : never)): V => value;
}

/** An object naming each declared field of `T` (optional ones too, not its index signature) once. */
type Fields<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]-?: unknown };

/** One thunk per member: a member added to the class and not used here is missing. */
type Members<T> = { [K in keyof T]: () => unknown };

/** An OfflineMailboxError, told apart from other exceptions by its name. */
function isMailboxError(error: unknown): error is OfflineMailboxError {
  return error instanceof Error && error.name === "OfflineMailboxError";
}

// ---------------------------------------------------------------- loading the module

async function load(wasmUrl: URL, wasmBytes: ArrayBuffer): Promise<void> {
  const loaded = exactly<InitOutput>()(await init());
  exactly<WebAssembly.Memory>()(loaded.memory);
  const input: InitInput = wasmUrl;
  await init({ module_or_path: input });
  await init({ module_or_path: fetch(wasmUrl) });
  const bytes: SyncInitInput = wasmBytes;
  exactly<InitOutput>()(initSync({ module: bytes }));
  initSync({ module: new WebAssembly.Module(wasmBytes) });
}

// ---------------------------------------------------------------- every option

const policy: Required<MailboxPolicy> = {
  allowOfflineOn: "PrivateComputersOnly",
  displayPhotosEnabled: true,
  contactCardEnabled: false,
};

const retention: Required<Retention> = {
  mailDays: 31,
  maxMessagesPerFolder: 5000,
  calendarPastDays: 31,
  calendarFutureDays: 365,
};

const key: Uint8Array = crypto.getRandomValues(new Uint8Array(32));

// Type-level only: at run time exactly one of `key` and `passphrase` is given.
const everyOpenOption: Required<OpenOptions> = {
  userId: "8f2c1e7a-user-object-id",
  key,
  passphrase: "correct horse battery staple",
  passphraseIterations: 600_000,
  orgServer: "https://mail.contoso.com",
  orgDomains: ["contoso.com"],
  policy,
  computer: "private",
  retention,
  photoApi: "graph",
  contactCardPath: "/users/{email}",
  expectedEpoch: localStorage.getItem("offlineEpoch"),
  onUpgradeProgress: ({ done, total }) => console.log(`upgrading ${done} of ${total}`),
};

const keyOptions: Required<KeyOptions> = { key, passphrase: "new passphrase", passphraseIterations: 1_000_000 };
const enableOptions: Required<EnableOfflineOptions> = { ...keyOptions, persist: true };

const listOptions: Required<ListOptions> = { limit: 50, cursor: "opaque", fields: "full" };
const fieldChoices: MessageFields[] = ["summary", "full", ["subject", "body"]];
const fieldsOptions: Required<FieldsOptions> = { fields: ["subject", "from"] };
const searchOptions: Required<SearchOptions> = { folderId: "inbox", limit: 20, cursor: "opaque", scan: false };
const contactQuery: Required<ContactQuery> = { prefix: "ade", limit: 5 };
const contactSearchOptions: Required<ContactSearchOptions> = { limit: 10 };
const range: EventRange = { start: new Date("2024-06-03T00:00:00Z"), end: "2024-06-10T00:00:00Z" };
const rangeInMs: Required<EventRange> = { start: Date.UTC(2024, 5, 1), end: Date.UTC(2024, 6, 1) };
const photoOptions: Required<PhotoOptions> = { size: "HR64x64" };
const deleteOptions: Required<DeleteOptions> = { permanent: true };
const signOutOptions: Required<SignOutOptions> = { keepOfflineData: true };
const rotateOptions: Required<RotateOptions> = { onProgress: ({ done, total }) => console.log(done / total) };
const verifyOptions: Required<VerifyOptions> = { onProgress: ({ done, total }) => console.log(done / total) };

const controller = new AbortController();
const syncOptions: Required<SyncOptions> = {
  getAccessToken: async () => "token from MSAL",
  folders: ["inbox", "sentitems"],
  contacts: true,
  calendarWindow: { start: "2024-05-01T00:00:00Z", end: new Date("2024-08-01T00:00:00Z") },
  baseUrl: "https://mail.contoso.com/v1.0",
  pageSize: 100,
  signal: controller.signal,
  onProgress: (progress) => readSyncReport(progress),
};
// getAccessToken may also answer at once.
const syncWithCachedToken: SyncOptions = { getAccessToken: () => "cached token" };

// ---------------------------------------------------------------- every item shape

const address: Required<EmailAddress> = { name: "Adele Vance", address: "adelev@contoso.com" };
const recipient: Required<Recipient> = { emailAddress: address };
const body: Required<ItemBody> = { contentType: "html", content: "<p>Hello</p>" };
const utc = (dateTime: string): Required<DateTimeTimeZone> => ({ dateTime, timeZone: "UTC" });
const flag: Required<FollowupFlag> = {
  flagStatus: "flagged",
  startDateTime: utc("2024-05-01T00:00:00"),
  dueDateTime: utc("2024-05-03T00:00:00"),
  completedDateTime: null,
};

const message: Required<Message> = {
  id: "AAMk1",
  parentFolderId: "inbox",
  conversationId: "AAQk1",
  internetMessageId: "<1@contoso.com>",
  subject: "Quarterly report",
  bodyPreview: "Hello",
  body,
  from: recipient,
  sender: recipient,
  toRecipients: [recipient],
  ccRecipients: [],
  bccRecipients: null,
  replyTo: [recipient],
  receivedDateTime: "2024-05-01T10:00:00Z",
  sentDateTime: "2024-05-01T09:59:00Z",
  isRead: false,
  isDraft: false,
  flag: { flagStatus: "notFlagged" },
  importance: "high",
  categories: ["Blue category"],
  hasAttachments: false,
  changeKey: "CQAAABYAAAA",
  lastModifiedDateTime: "2024-05-01T10:00:00Z",
  // Fields the library does not know are kept.
  "@odata.etag": 'W/"CQAAABYAAAA"',
};

const folder: Required<MailFolder> = {
  id: "inbox",
  displayName: "Inbox",
  parentFolderId: "root",
  wellKnownName: "inbox",
  totalItemCount: 0,
  unreadItemCount: 0,
};

const postal: Required<PhysicalAddress> = {
  street: "1 Main St", city: "Redmond", state: "WA", postalCode: "98052", countryOrRegion: "US",
};

const contact: Required<Contact> = {
  id: "AAMkC1",
  displayName: "Adele Vance",
  givenName: "Adele",
  surname: "Vance",
  emailAddresses: [address],
  businessPhones: ["+1 425 555 0109"],
  mobilePhone: null,
  homePhones: [],
  companyName: "Contoso",
  jobTitle: "Retail Manager",
  department: "Retail",
  officeLocation: "18/2111",
  addresses: [postal],
};

const event: Required<Event> = {
  id: "AAMkE1",
  seriesMasterId: null,
  type: "singleInstance",
  subject: "Budget review",
  body,
  start: utc("2024-06-04T09:00:00.0000000"),
  end: utc("2024-06-04T10:00:00.0000000"),
  isAllDay: false,
  location: { displayName: "Room 1" },
  attendees: [{ emailAddress: address, type: "required" }],
  organizer: recipient,
  showAs: "busy",
  isCancelled: false,
  sensitivity: "normal",
};

const unknownItem: GraphItem = { id: "x", anything: [1, 2, 3] };

const page: Required<DeltaPage> = {
  value: [message, { id: "AAMk2", "@removed": { reason: "deleted" } }, { id: "AAMk3", "@removed": {} }],
  "@odata.nextLink": "https://mail.contoso.com/v1.0/me/mailFolders/inbox/messages/delta?$skiptoken=1",
  "@odata.deltaLink": "https://mail.contoso.com/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=2",
};

const responses: EventResponse[] = ["accept", "tentativelyAccept", "decline"];
const kinds: ItemKind[] = ["messages", "mailFolders", "contacts", "events"];

// ---------------------------------------------------------------- every result

function readSyncReport(report: SyncReport): void {
  ({
    phase: exactly<"push" | "pull" | "evict" | "done">()(report.phase),
    kind: exactly<ItemKind | null>()(report.kind),
    scope: exactly<string>()(report.scope),
    pushed: exactly<number>()(report.pushed),
    failed: exactly<number>()(report.failed),
    pages: exactly<number>()(report.pages),
    created: exactly<number>()(report.created),
    updated: exactly<number>()(report.updated),
    removed: exactly<number>()(report.removed),
    pruned: exactly<number>()(report.pruned),
    evictedBodies: exactly<number>()(report.evictedBodies),
    evictedMessages: exactly<number>()(report.evictedMessages),
  }) satisfies Fields<SyncReport>;
}

function readSummary(summary: MessageSummary): void {
  ({
    id: exactly<string>()(summary.id),
    parentFolderId: summary.parentFolderId?.toUpperCase(),
    conversationId: summary.conversationId?.length,
    subject: exactly<string | null | undefined>()(summary.subject),
    bodyPreview: summary.bodyPreview,
    from: summary.from?.emailAddress?.address,
    sender: summary.sender?.emailAddress?.name,
    toRecipients: summary.toRecipients?.map((r) => r.emailAddress?.address),
    ccRecipients: summary.ccRecipients?.length,
    receivedDateTime: summary.receivedDateTime && new Date(summary.receivedDateTime),
    sentDateTime: summary.sentDateTime,
    isRead: exactly<boolean | null | undefined>()(summary.isRead),
    isDraft: summary.isDraft === true,
    flag: summary.flag?.flagStatus,
    importance: summary.importance,
    hasAttachments: summary.hasAttachments,
    categories: summary.categories?.join(", "),
    "@odata.type": summary["@odata.type"],
    inferenceClassification: summary.inferenceClassification,
    meetingMessageType: summary.meetingMessageType,
    "@offlineMailbox.bodyWithheld": exactly<string | undefined>()(summary["@offlineMailbox.bodyWithheld"]),
  }) satisfies Fields<MessageSummary>;
}

function readPage(list: MessagePage | SearchPage): void {
  for (const summary of list.value) readSummary(summary);
  exactly<string | null>()(list.nextCursor);
}

function readChange(detail: MailboxChange): void {
  ({
    kinds: exactly<ItemKind[]>()(detail.kinds),
    folders: exactly<string[]>()(detail.folders),
    ids: exactly<string[] | null>()(detail.ids),
    version: exactly<number>()(detail.version),
    local: exactly<boolean>()(detail.local),
  }) satisfies Fields<MailboxChange>;
}

function readLeader(detail: LeaderChange): boolean {
  return ({ isLeader: exactly<boolean>()(detail.isLeader) } satisfies Fields<LeaderChange>).isLeader;
}

function readClose(detail: MailboxClose): void {
  ({ reason: exactly<"versionchange">()(detail.reason) }) satisfies Fields<MailboxClose>;
}

function readStorage(report: StorageReport): void {
  ({
    usage: exactly<number | null>()(report.usage),
    quota: exactly<number | null>()(report.quota),
    persisted: exactly<boolean>()(report.persisted),
    byKind: Object.entries(report.byKind).map(([kind, size]) => `${kind}: ${size.count} items, ${size.bytes} bytes`),
  }) satisfies Fields<StorageReport>;
}

function readVerify(report: VerifyReport): void {
  ({
    checked: exactly<number>()(report.checked),
    quarantined: exactly<number>()(report.quarantined),
    countErrors: exactly<number>()(report.countErrors),
  }) satisfies Fields<VerifyReport>;
}

function readDelta(summary: DeltaSummary): void {
  ({
    created: exactly<number>()(summary.created),
    updated: exactly<number>()(summary.updated),
    removed: exactly<number>()(summary.removed),
  }) satisfies Fields<DeltaSummary>;
}

function readPrune(report: PruneReport): void {
  ({ messages: exactly<number>()(report.messages), events: exactly<number>()(report.events) }) satisfies Fields<PruneReport>;
}

function readQuarantine(entries: QuarantineEntry[]): void {
  for (const entry of entries) {
    ({ kind: exactly<ItemKind | "syncState">()(entry.kind), id: exactly<string | null>()(entry.id) }) satisfies Fields<QuarantineEntry>;
  }
}

function readCard(card: ContactCard | null): void {
  if (!card) return;
  ({
    displayName: card.displayName,
    mail: card.mail,
    jobTitle: card.jobTitle,
    department: card.department,
    officeLocation: card.officeLocation,
    businessPhones: card.businessPhones?.[0],
    mobilePhone: card.mobilePhone,
  }) satisfies Fields<ContactCard>;
  // Other Graph `user` fields come as the server sent them.
  exactly<unknown>()(card["preferredLanguage"]);
}

/** A discriminated union: each action kind carries its own fields. */
function describe(action: PendingAction): string {
  const failed = action.failure ? ` (refused: ${action.failure.status} ${action.failure.message})` : "";
  const what = (() => {
    switch (action.kind) {
      case "markRead": return `${action.id} read=${action.isRead}`;
      case "setFlag": return action.flag.flagStatus;
      case "setCategories": return action.categories.join();
      case "move": return action.folderId;
      case "delete": return String(action.permanent);
      case "respondToEvent": return `${action.response}: ${action.comment}`;
      case "saveDraft": return action.message.subject ?? "";
      case "send": return action.message.id;
      default: return exactly<never>()(action);
    }
  })();
  return `#${action.seq} ${what}${failed}`;
}

// ---------------------------------------------------------------- errors

/** What the app says for each code: a code added to the .d.ts and missing here fails. */
const explain = {
  WrongKey: "The key does not open this mailbox.",
  Integrity: "A stored item was damaged and set aside.",
  QuotaExceeded: "The browser is out of room.",
  VersionTooNew: "A newer version wrote this mailbox.",
  Rollback: "This offline copy is older than the last one seen.",
  Closed: "The mailbox was closed.",
  InvalidInput: "Bad input.",
  PolicyDenied: "Your administrator does not allow this.",
  Network: "The server could not be reached.",
  Unsupported: "This browser cannot keep mail offline.",
  Aborted: "Stopped.",
  Storage: "The browser's storage failed.",
} satisfies Record<ErrorCode, string>;

function report(error: unknown): string {
  if (!isMailboxError(error)) throw error;
  exactly<ErrorCode>()(error.code);
  switch (error.code) {
    case "InvalidInput":
      return `${explain[error.code]} ${exactly<string | undefined>()(error.field)} #${exactly<number | null | undefined>()(error.index)}`;
    case "Integrity":
      return `${exactly<string | undefined>()(error.store)}/${exactly<string | null | undefined>()(error.id)}`;
    case "Rollback":
      return `expected ${exactly<string | undefined>()(error.expected)}, found ${error.found}`;
    case "VersionTooNew":
      return `found ${exactly<number | string | undefined>()(error.found)}, supported ${exactly<number | undefined>()(error.supported)}`;
    default:
      return `${explain[error.code]} ${error.message} ${error.name} ${error.stack ?? ""}`;
  }
}

// ---------------------------------------------------------------- every static

async function statics(): Promise<OfflineMailbox> {
  const everyStatic = {
    open: () => OfflineMailbox.open({ userId: "u", key }),
    databaseName: () => exactly<string>()(OfflineMailbox.databaseName("u")),
    wipeUser: () => exactly<Promise<void>>()(OfflineMailbox.wipeUser("u")),
  } satisfies Members<Omit<typeof OfflineMailbox, "prototype">>;
  await everyStatic.wipeUser();
  everyStatic.databaseName();
  exactly<Promise<OfflineMailbox>>()(OfflineMailbox.open(everyOpenOption));
  const withPassphrase = await OfflineMailbox.open({ userId: "u", passphrase: "correct horse battery staple" });
  withPassphrase.close();
  return exactly<Promise<OfflineMailbox>>()(everyStatic.open());
}

// ---------------------------------------------------------------- every member

async function members(mailbox: OfflineMailbox): Promise<void> {
  const onChange = ({ detail }: CustomEvent<MailboxChange>) => readChange(detail);
  const everyMember = {
    addEventListener: () => {
      // The listener's event is typed by the event's name.
      mailbox.addEventListener("change", ({ detail }) => readChange(detail));
      mailbox.addEventListener("leaderchange", ({ detail }) => readLeader(detail), { once: true });
      mailbox.addEventListener("close", (closed) => readClose(closed.detail), { signal: controller.signal });
      mailbox.addEventListener("change", onChange, false);
      mailbox.addEventListener("change", (plain: globalThis.Event) => plain.type, null);
      const typedByMap = (e: OfflineMailboxEventMap["leaderchange"]) => readLeader(e.detail);
      mailbox.addEventListener("leaderchange", typedByMap);
      // EventTarget's other listener forms still work.
      mailbox.addEventListener("change", { handleEvent: (e) => readChange((e as CustomEvent<MailboxChange>).detail) });
      mailbox.addEventListener("close", null);
    },
    removeEventListener: () => {
      mailbox.removeEventListener("change", onChange);
      mailbox.removeEventListener("change", onChange, { capture: false });
      mailbox.removeEventListener("close", null, true);
    },
    applyDelta: async () => readDelta(await exactly<Promise<DeltaSummary>>()(mailbox.applyDelta("messages", "inbox", page))),
    applyPolicy: () => exactly<Promise<void>>()(mailbox.applyPolicy(policy)),
    changeKey: () => exactly<Promise<void>>()(mailbox.changeKey({ key })),
    close: () => exactly<void>()(mailbox.close()),
    contactByEmail: async () => (await exactly<Promise<Contact | null>>()(mailbox.contactByEmail("adelev@contoso.com")))?.displayName,
    contactCard: async () => readCard(await exactly<Promise<ContactCard | null>>()(mailbox.contactCard("adelev@contoso.com"))),
    contacts: async () => {
      exactly<Promise<Contact[]>>()(mailbox.contacts(contactQuery));
      await mailbox.contacts();
      await mailbox.contacts(null);
    },
    conversation: async () => {
      const thread = await exactly<Promise<MessageSummary[] | Message[]>>()(mailbox.conversation("AAQk1", fieldsOptions));
      await mailbox.conversation("AAQk1");
      await mailbox.conversation("AAQk1", { fields: "full" });
      return thread.length;
    },
    delete: async () => {
      await exactly<Promise<void>>()(mailbox.delete(["AAMk3"]));
      await mailbox.delete(["AAMk4"], deleteOptions);
    },
    deltaLink: async () => {
      for (const kind of kinds) exactly<Promise<string | null>>()(mailbox.deltaLink(kind, "inbox"));
    },
    disableOffline: () => exactly<Promise<void>>()(mailbox.disableOffline()),
    discardAction: () => exactly<Promise<void>>()(mailbox.discardAction(1)),
    enableOffline: async () => {
      await exactly<Promise<void>>()(mailbox.enableOffline());
      await mailbox.enableOffline(enableOptions);
      await mailbox.enableOffline({ persist: true });
      await mailbox.enableOffline(null);
    },
    events: async () => {
      exactly<Promise<Event[]>>()(mailbox.events(range));
      return (await mailbox.events(rangeInMs)).map((e) => e.start.dateTime);
    },
    folders: async () => (await exactly<Promise<MailFolder[]>>()(mailbox.folders()))[0]?.unreadItemCount,
    free: () => exactly<void>()(mailbox.free()),
    getContact: () => exactly<Promise<Contact | null>>()(mailbox.getContact("AAMkC1")),
    getEvent: () => exactly<Promise<Event | null>>()(mailbox.getEvent("AAMkE1")),
    getFolder: () => exactly<Promise<MailFolder | null>>()(mailbox.getFolder("inbox")),
    getMessage: async () => (await exactly<Promise<Message | null>>()(mailbox.getMessage("AAMk1")))?.body?.content,
    listMessages: async () => {
      readPage(await exactly<Promise<MessagePage>>()(mailbox.listMessages("inbox")));
      readPage(await mailbox.listMessages("inbox", listOptions));
      for (const fields of fieldChoices) readPage(await mailbox.listMessages("inbox", { fields }));
      await mailbox.listMessages("inbox", null);
      // Paging: the cursor of the last page is null.
      let cursor: string | null = null;
      do {
        const next: MessagePage = await mailbox.listMessages("inbox", { limit: 50, cursor });
        cursor = next.nextCursor;
      } while (cursor);
    },
    markRead: () => exactly<Promise<void>>()(mailbox.markRead(["AAMk1"], true)),
    move: () => exactly<Promise<void>>()(mailbox.move(["AAMk1"], "archive")),
    pendingActions: async () => (await exactly<Promise<PendingAction[]>>()(mailbox.pendingActions())).map(describe),
    prune: async () => readPrune(await exactly<Promise<PruneReport>>()(mailbox.prune())),
    putContacts: () => exactly<Promise<void>>()(mailbox.putContacts([contact])),
    putEvents: () => exactly<Promise<void>>()(mailbox.putEvents([event])),
    putFolders: () => exactly<Promise<void>>()(mailbox.putFolders([folder, { id: "archive" }])),
    putMessages: () => exactly<Promise<void>>()(mailbox.putMessages([message, { id: "AAMk2", subject: "Again" }])),
    quarantine: async () => readQuarantine(await exactly<Promise<QuarantineEntry[]>>()(mailbox.quarantine())),
    resetScope: () => exactly<Promise<void>>()(mailbox.resetScope("messages", "inbox")),
    respondToEvent: async () => {
      for (const response of responses) await exactly<Promise<void>>()(mailbox.respondToEvent("AAMkE1", response));
      await mailbox.respondToEvent("AAMkE1", "accept", "See you there");
      await mailbox.respondToEvent("AAMkE1", "decline", null);
    },
    retryAction: () => exactly<Promise<void>>()(mailbox.retryAction(1)),
    rotateDataKey: async () => {
      await exactly<Promise<void>>()(mailbox.rotateDataKey());
      await mailbox.rotateDataKey(rotateOptions);
    },
    saveDraft: () => exactly<Promise<string>>()(mailbox.saveDraft({ id: "draft", subject: "Minutes" })),
    search: async () => {
      readPage(await exactly<Promise<SearchPage>>()(mailbox.search('from:ada "quarterly budget" is:unread')));
      const first = await mailbox.search("budg", searchOptions);
      // The README's paging: the previous page's cursor, null on the last page.
      readPage(await mailbox.search("budg", { cursor: first.nextCursor }));
      await mailbox.search("budg", null);
    },
    searchContacts: async () => {
      exactly<Promise<Contact[]>>()(mailbox.searchContacts("adele fabrikam"));
      await mailbox.searchContacts("adele", contactSearchOptions);
    },
    searchEvents: () => exactly<Promise<Event[]>>()(mailbox.searchEvents('"budget review"', range)),
    send: () => exactly<Promise<void>>()(mailbox.send(message)),
    senderPhoto: async () => {
      const photo = await exactly<Promise<Blob | null>>()(mailbox.senderPhoto("adelev@contoso.com"));
      await mailbox.senderPhoto("adelev@contoso.com", photoOptions);
      return photo ? URL.createObjectURL(photo) : "initials";
    },
    setCategories: () => exactly<Promise<void>>()(mailbox.setCategories(["AAMk1"], ["Blue category"])),
    setFlag: () => exactly<Promise<void>>()(mailbox.setFlag(["AAMk1"], flag)),
    signOut: async () => {
      await exactly<Promise<void>>()(mailbox.signOut());
      await mailbox.signOut(signOutOptions);
    },
    storage: async () => readStorage(await exactly<Promise<StorageReport>>()(mailbox.storage())),
    sync: async () => {
      readSyncReport(await exactly<Promise<SyncReport>>()(mailbox.sync(syncOptions)));
      await mailbox.sync(syncWithCachedToken);
    },
    verify: async () => {
      readVerify(await exactly<Promise<VerifyReport>>()(mailbox.verify()));
      await mailbox.verify(verifyOptions);
    },
    wipe: () => exactly<Promise<void>>()(mailbox.wipe()),
    epoch: () => localStorage.setItem("offlineEpoch", exactly<string | null>()(mailbox.epoch) ?? ""),
    isLeader: () => exactly<boolean>()(mailbox.isLeader),
    offlineEnabled: () => exactly<boolean>()(mailbox.offlineEnabled),
    [Symbol.dispose]: () => exactly<void>()(mailbox[Symbol.dispose]()),
  } satisfies Members<OfflineMailbox>;

  for (const use of Object.values(everyMember)) {
    try {
      await use();
    } catch (error) {
      console.warn(report(error));
    }
  }
  exactly<unknown>()(unknownItem["anything"]);
}

/** The "offline-mailbox/bundler" entry (no init()) declares the same API. */
async function bundled(): Promise<void> {
  const mailbox = await BundledMailbox.open({ userId: "u", key });
  mailbox.addEventListener("change", ({ detail }) => readChange(detail));
  readPage(await mailbox.listMessages("inbox", { cursor: null }));
}

export async function main(wasmUrl: URL, wasmBytes: ArrayBuffer): Promise<void> {
  await load(wasmUrl, wasmBytes);
  await members(await statics());
  await bundled();
}
