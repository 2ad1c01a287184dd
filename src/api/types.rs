//! TypeScript declarations for the option and result shapes.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** The secret that unlocks a mailbox: exactly one of `key` or `passphrase`. */
export interface KeyOptions {
  /** 32 bytes of key material, held by the customer or handed out per user by the org server. */
  key?: Uint8Array;
  /** A passphrase, stretched with PBKDF2-HMAC-SHA256 (WebCrypto). */
  passphrase?: string;
  /** PBKDF2 iterations for a new passphrase wrap (default 600000; 1000 to 10000000). */
  passphraseIterations?: number;
}

/** Exchange's OWA mailbox policy settings the library obeys. Missing fields take Exchange's defaults. */
export interface MailboxPolicy {
  /** Where offline mail may be used (default "AllComputers"). */
  allowOfflineOn?: "NoComputers" | "PrivateComputersOnly" | "AllComputers";
  /** Whether sender photos may be looked up (default true). */
  displayPhotosEnabled?: boolean;
  /** Whether contact cards may be looked up (default true). */
  contactCardEnabled?: boolean;
}

/** Options for `OfflineMailbox.open`. */
export interface OpenOptions extends KeyOptions {
  /** A stable id for the signed-in user (prefer the directory object id to the address). */
  userId: string;
  /** The organization's mail server, a bare origin: "https://mail.contoso.com" (plain http only for loopback). The only host the library ever contacts. */
  orgServer?: string;
  /** Domains whose addresses may be looked up, e.g. ["contoso.com"]. Exact match; list subdomains too. ASCII only: give internationalized domains in punycode (xn--…). */
  orgDomains?: string[];
  /** The administrator's policy (default: Exchange's defaults). */
  policy?: MailboxPolicy;
  /** What the user chose at sign-in (default "public", the safe choice). */
  computer?: "private" | "public";
  /** What the offline copy keeps, applied at the end of each sync and by prune(). */
  retention?: Retention;
  /** Photo API of the org server: "ews" (GetUserPhoto, default) or "graph" (/users/{email}/photos/{size}/$value). */
  photoApi?: "ews" | "graph";
  /** Path of the contact card endpoint on the org server, with {email} (default "/users/{email}"). */
  contactCardPath?: string;
  /** The `mailbox.epoch` the app last saved on its server: an older offline copy (a restored backup) rejects with `Rollback`. `null`: the app knows offline was turned off; any copy found is deleted. Omit to skip the check. */
  expectedEpoch?: string | null;
  /** Called with `{ done, total }` message records while a mailbox written by an older version moves to the current layout, and again with items (messages, contacts, events) while they are indexed for search (once each, before `open` resolves). */
  onUpgradeProgress?: (progress: { done: number; total: number }) => void;
}

/** Options for `searchContacts`. */
export interface ContactSearchOptions {
  /** At most this many contacts (default 50, at most 10000). */
  limit?: number;
}

/** Options for `rotateDataKey`. */
export interface RotateOptions {
  /** Called after each batch with the number of records done and the total. */
  onProgress?: (progress: { done: number; total: number }) => void;
}

/** Options for `signOut`. */
export interface SignOutOptions {
  /** Keep the offline data for next time: honoured only on a private computer with offline on. */
  keepOfflineData?: boolean;
}

/** Options for `senderPhoto`. */
export interface PhotoOptions {
  size?: "HR48x48" | "HR64x64" | "HR96x96" | "HR120x120" | "HR240x240" | "HR360x360" | "HR432x432" | "HR504x504" | "HR648x648";
}

/** A contact card as the org server returns it (Graph `user` shape). */
export interface ContactCard {
  displayName?: string | null;
  mail?: string | null;
  jobTitle?: string | null;
  department?: string | null;
  officeLocation?: string | null;
  businessPhones?: string[] | null;
  mobilePhone?: string | null;
  [field: string]: unknown;
}

/** Any Graph-shaped resource; fields this library does not know are kept and returned. */
export interface GraphItem {
  id: string;
  [field: string]: unknown;
}

/** Graph `emailAddress`. */
export interface EmailAddress { name?: string | null; address?: string | null }
/** Graph `recipient`. */
export interface Recipient { emailAddress?: EmailAddress | null }
/** Graph `itemBody`. */
export interface ItemBody { contentType?: "text" | "html" | string; content?: string | null }

/** Graph `message`. */
export interface Message extends GraphItem {
  parentFolderId?: string | null;
  conversationId?: string | null;
  internetMessageId?: string | null;
  subject?: string | null;
  bodyPreview?: string | null;
  body?: ItemBody | null;
  from?: Recipient | null;
  sender?: Recipient | null;
  toRecipients?: Recipient[] | null;
  ccRecipients?: Recipient[] | null;
  bccRecipients?: Recipient[] | null;
  replyTo?: Recipient[] | null;
  /** ISO 8601 with offset, e.g. "2024-05-01T10:00:00Z"; orders folder listings. */
  receivedDateTime?: string | null;
  sentDateTime?: string | null;
  isRead?: boolean | null;
  isDraft?: boolean | null;
  flag?: { flagStatus?: "notFlagged" | "complete" | "flagged" | string } | null;
  importance?: "low" | "normal" | "high" | string | null;
  categories?: string[] | null;
  hasAttachments?: boolean | null;
  changeKey?: string | null;
  lastModifiedDateTime?: string | null;
}

/** What a message list shows: the summary `listMessages` and `conversation` return by default. */
export type MessageSummary = Pick<Message, "id" | "parentFolderId" | "conversationId" | "subject"
  | "bodyPreview" | "from" | "sender" | "toRecipients" | "ccRecipients" | "receivedDateTime"
  | "sentDateTime" | "isRead" | "isDraft" | "flag" | "importance" | "hasAttachments" | "categories"> & {
  "@odata.type"?: string;
  inferenceClassification?: "focused" | "other" | string | null;
  meetingMessageType?: string | null;
  /** Set when the message is protected (S/MIME, IRM) and its body was not stored. */
  "@offlineMailbox.bodyWithheld"?: string;
};

/** Which fields a listing returns: `"summary"` (default), `"full"`, or field names like Graph's `$select`. */
export type MessageFields = "summary" | "full" | string[];

/** The `fields` option of `conversation`. */
export interface FieldsOptions {
  /** `"summary"` (default, never reads a body), `"full"`, or field names (`id` is always included). */
  fields?: MessageFields;
}

/** Graph `mailFolder`. From `folders()`, the counts are those of the messages stored offline. */
export interface MailFolder extends GraphItem {
  displayName?: string | null;
  parentFolderId?: string | null;
  wellKnownName?: string | null;
  totalItemCount?: number | null;
  unreadItemCount?: number | null;
}

/** Graph `physicalAddress`. */
export interface PhysicalAddress {
  street?: string | null; city?: string | null; state?: string | null;
  postalCode?: string | null; countryOrRegion?: string | null;
}

/** Graph `contact`. */
export interface Contact extends GraphItem {
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
  emailAddresses?: EmailAddress[] | null;
  businessPhones?: string[] | null;
  mobilePhone?: string | null;
  homePhones?: string[] | null;
  companyName?: string | null;
  jobTitle?: string | null;
  department?: string | null;
  officeLocation?: string | null;
  addresses?: PhysicalAddress[] | null;
}

/** Graph `dateTimeTimeZone`; the mailbox stores instances in UTC. */
export interface DateTimeTimeZone { dateTime: string; timeZone?: "UTC" | string | null }

/** Graph `event`, an instance as `calendarView` returns it (request it in UTC). */
export interface Event extends GraphItem {
  seriesMasterId?: string | null;
  type?: "singleInstance" | "occurrence" | "exception" | "seriesMaster" | string | null;
  subject?: string | null;
  body?: ItemBody | null;
  start: DateTimeTimeZone;
  end: DateTimeTimeZone;
  isAllDay?: boolean | null;
  location?: { displayName?: string | null } | null;
  attendees?: Array<{ emailAddress?: EmailAddress | null; type?: string | null }> | null;
  organizer?: Recipient | null;
  showAs?: string | null;
  isCancelled?: boolean | null;
  sensitivity?: string | null;
}

/** The kinds of item, as `applyDelta`, `deltaLink` and `resetScope` name them. */
export type ItemKind = "messages" | "mailFolders" | "contacts" | "events";

/** A page of a Graph delta query. Entries with `@removed` are removals. */
export interface DeltaPage {
  value: Array<GraphItem | { id: string; "@removed": { reason?: "deleted" | "changed" } }>;
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
}

/** What `applyDelta` changed. */
export interface DeltaSummary { created: number; updated: number; removed: number }

/** Options for `listMessages`. */
export interface ListOptions extends FieldsOptions {
  /** Page size, 1 to 1000 (default 50). */
  limit?: number;
  /** `nextCursor` from the previous page (`null` or absent: the first page). */
  cursor?: string | null;
}

/** One page from `listMessages`, newest first. */
export interface MessagePage { value: MessageSummary[] | Message[]; nextCursor: string | null }

/** Options for `search`. */
export interface SearchOptions {
  /** Only messages of this folder (an id). */
  folderId?: string;
  /** Page size, 1 to 10,000 (default 50). */
  limit?: number;
  /** `nextCursor` from the previous page of the same search (`null` or absent: the first page). */
  cursor?: string | null;
  /**
   * Answer by decrypting and scanning every stored message instead of using the
   * index (default false). Slow; for checking the index and for benchmarks.
   */
  scan?: boolean;
}

/** One page from `search`, newest first. */
export interface SearchPage { value: MessageSummary[]; nextCursor: string | null }

/** A time range for `events`: Dates, ISO 8601 strings with offset, or epoch milliseconds. */
export interface EventRange { start: Date | string | number; end: Date | string | number }

/** Options for `contacts`. */
export interface ContactQuery {
  /** Start of a name word or an address, case-insensitive; empty lists all. */
  prefix?: string;
  /** At most this many (default 10). */
  limit?: number;
}

/** Graph `followupFlag`, as `setFlag` takes it. */
export interface FollowupFlag {
  flagStatus: "notFlagged" | "complete" | "flagged";
  startDateTime?: DateTimeTimeZone | null;
  dueDateTime?: DateTimeTimeZone | null;
  completedDateTime?: DateTimeTimeZone | null;
}

/** Options of `delete`. */
export interface DeleteOptions {
  /** Delete for good rather than move to Deleted Items (default false). */
  permanent?: boolean;
}

/** How a meeting request is answered. */
export type EventResponse = "accept" | "tentativelyAccept" | "decline";

/** An action waiting in the outbox for the server, oldest first; `failure` once the server refused it. */
export type PendingAction = { seq: number; id: string; failure?: { status: number; message: string } } & (
  | { kind: "markRead"; isRead: boolean }
  | { kind: "setFlag"; flag: FollowupFlag }
  | { kind: "setCategories"; categories: string[] }
  | { kind: "move"; folderId: string }
  | { kind: "delete"; permanent: boolean }
  | { kind: "respondToEvent"; response: EventResponse; comment: string }
  | { kind: "saveDraft"; message: Message }
  | { kind: "send"; message: Message }
);

/** What the offline copy keeps; items with pending actions always stay. */
export interface Retention {
  /** Days of mail kept, by received time (default 31). */
  mailDays?: number;
  /** Newest messages kept per folder (default 5000). */
  maxMessagesPerFolder?: number;
  /** Days of calendar kept behind (default 31) and ahead (default 365). */
  calendarPastDays?: number;
  calendarFutureDays?: number;
}

/** What `prune` removed. */
export interface PruneReport { messages: number; events: number }

/** `event.detail` of a mailbox's `change` event: one committed write, in this tab or another. */
export interface MailboxChange {
  /** The item kinds the write stored or removed. */
  kinds: ItemKind[];
  /** Folders whose messages changed (arrived, left, moved, read state), among those this tab has met (listed, written to, or seen in `folders()`). */
  folders: string[];
  /** The ids of the items written or removed, or null when the write does not name them (a scope reset, pruning, eviction). */
  ids: string[] | null;
  /** The write counter the write committed at: increasing, one per write, shared by all tabs. */
  version: number;
  /** Whether this tab made the write. */
  local: boolean;
}

/** `event.detail` of `leaderchange`. */
export interface LeaderChange { isLeader: boolean }

/** `event.detail` of `close`: another tab upgraded ("versionchange") or deleted the database. */
export interface MailboxClose { reason: "versionchange" }

/** The events an `OfflineMailbox` dispatches, by type: each a `CustomEvent` whose `detail` is typed. */
export interface OfflineMailboxEventMap {
  change: CustomEvent<MailboxChange>;
  leaderchange: CustomEvent<LeaderChange>;
  close: CustomEvent<MailboxClose>;
}

// The event methods are declared here rather than by wasm-bindgen so that a
// listener's `event.detail` is typed by the event's name, as lib.dom types
// `window.addEventListener`; they merge into the class `OfflineMailbox` below.
export interface OfflineMailbox {
  /**
   * Listens to the mailbox, as on any `EventTarget`: `change` after each
   * committed write in this tab or another (and workers) of the same user,
   * `leaderchange` when this tab starts or stops leading, `close` when another
   * tab upgraded or deleted the database.
   *
   * ```ts
   * mailbox.addEventListener("change", ({ detail }) => {
   *   if (detail.kinds.includes("messages") && detail.folders.includes(shownFolder)) refreshList();
   * });
   * ```
   */
  addEventListener<K extends keyof OfflineMailboxEventMap>(type: K, listener: (event: OfflineMailboxEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions | null): void;
  addEventListener(type: keyof OfflineMailboxEventMap, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions | null): void;
  /** Stops a listener added with `addEventListener`. */
  removeEventListener<K extends keyof OfflineMailboxEventMap>(type: K, listener: (event: OfflineMailboxEventMap[K]) => unknown, options?: boolean | EventListenerOptions | null): void;
  removeEventListener(type: keyof OfflineMailboxEventMap, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions | null): void;
}

// wasm-bindgen declares `[Symbol.dispose]()` on the class (the glue sets it
// where the browser has `Symbol.dispose`). Declared here too, as @types/node
// does, so that an app compiling against lib ES2022 (without
// "esnext.disposable") still type-checks this file; with that lib the two
// declarations agree.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

/** Options of `verify`. */
export interface VerifyOptions {
  /** Called with records checked so far and in all. */
  onProgress?: (progress: { done: number; total: number }) => void;
}

/** What `verify` found: records authenticated, those moved to quarantine, folders whose counts were wrong (repaired). */
export interface VerifyReport { checked: number; quarantined: number; countErrors: number }

/** Options of `enableOffline`. */
export interface EnableOfflineOptions extends KeyOptions {
  /** Ask the browser to keep the offline copy under storage pressure (navigator.storage.persist()). */
  persist?: boolean;
}

/** What `storage` reports. */
export interface StorageReport {
  /** The browser's estimate for the whole origin, in bytes (null where unavailable). */
  usage: number | null;
  quota: number | null;
  /** Whether the browser keeps the origin's data under storage pressure. */
  persisted: boolean;
  /** Items and sealed bytes (estimated from a sample) per kind; empty while offline is off. */
  byKind: Partial<Record<ItemKind, { count: number; bytes: number }>>;
}

/** Options of `sync`. */
export interface SyncOptions {
  /** Resolves to an access token for the organization's server (called before each request; cache it). */
  getAccessToken: () => string | Promise<string>;
  /** Mail folders (ids or well-known names) whose messages are kept offline; default ["inbox"]. */
  folders?: string[];
  /** Whether contacts are kept offline (default true). */
  contacts?: boolean;
  /** The calendar window pulled (calendarView, in UTC); by default the one retention keeps. */
  calendarWindow?: { start: Date | string | number; end: Date | string | number };
  /** Graph's base URL on orgServer (default `${orgServer}/v1.0`); anywhere else is refused. */
  baseUrl?: string;
  /** Items per delta page asked for (default 100, at most 1000). */
  pageSize?: number;
  /** Aborts between requests: the sync rejects with `Aborted`, what was stored stays. */
  signal?: AbortSignal;
  /** Called after each action sent and each page applied. */
  onProgress?: (progress: SyncReport) => void;
}

/** What a sync did (and, in progress reports, where it is). */
export interface SyncReport {
  phase: "push" | "pull" | "evict" | "done";
  kind: ItemKind | null;
  scope: string;
  /** Actions the server took. */
  pushed: number;
  /** Actions the server refused (they stay in pendingActions, with the refusal). */
  failed: number;
  /** Delta pages applied, and the items they created, updated and removed. */
  pages: number;
  created: number;
  updated: number;
  removed: number;
  /** Messages and events pruned at the end, beyond the retention window. */
  pruned: number;
  /** Bodies evicted, then messages removed whole, when the browser's quota ran out (phase "evict" reports each round). */
  evictedBodies: number;
  evictedMessages: number;
}

/** A record that failed its integrity check and was set aside. */
export interface QuarantineEntry {
  /** The kind of item, or "syncState" for a stored delta link (its id is then the scope). */
  kind: ItemKind | "syncState";
  /** The record id, or null when it was found without a lookup by id. */
  id: string | null;
}

/** Stable codes carried by every error the library throws, as `error.code`. */
export type ErrorCode =
  | "WrongKey"
  | "Integrity"
  | "QuotaExceeded"
  | "VersionTooNew"
  | "Rollback"
  | "Closed"
  | "InvalidInput"
  | "PolicyDenied"
  | "Network"
  | "Unsupported"
  | "Aborted"
  | "Storage";

/** The error every rejected promise carries (`error.name === "OfflineMailboxError"`). */
export interface OfflineMailboxError extends Error {
  code: ErrorCode;
  /** Integrity: the object store and record id. */
  store?: string;
  id?: string | null;
  /** InvalidInput: the offending field and, in a batch, the item's index. */
  field?: string;
  index?: number | null;
  /** Rollback: the epoch the app passed as `expectedEpoch`, and the one found (opaque strings). */
  expected?: string;
  /** VersionTooNew: the schema version found (a number) and the newest this build reads; Rollback: the epoch found (a string). */
  found?: number | string;
  supported?: number;
}
"#;

/// Optional arguments, typed for TypeScript: an `Option` of one of these is
/// declared `name?: Type`, so a caller may leave it out. Each is read as a
/// `JsValue` and checked by `convert`.
#[wasm_bindgen]
extern "C" {
    /// `ListOptions`, optional.
    #[wasm_bindgen(typescript_type = "ListOptions")]
    pub type ListOptionsArg;

    /// `SearchOptions`, optional.
    #[wasm_bindgen(typescript_type = "SearchOptions")]
    pub type SearchOptionsArg;

    /// `FieldsOptions`, optional.
    #[wasm_bindgen(typescript_type = "FieldsOptions")]
    pub type FieldsOptionsArg;

    /// `ContactQuery`, optional.
    #[wasm_bindgen(typescript_type = "ContactQuery")]
    pub type ContactQueryArg;

    /// `ContactSearchOptions`, optional.
    #[wasm_bindgen(typescript_type = "ContactSearchOptions")]
    pub type ContactSearchOptionsArg;

    /// `EnableOfflineOptions`, optional.
    #[wasm_bindgen(typescript_type = "EnableOfflineOptions")]
    pub type EnableOfflineOptionsArg;

    /// `RotateOptions`, optional.
    #[wasm_bindgen(typescript_type = "RotateOptions")]
    pub type RotateOptionsArg;

    /// `SignOutOptions`, optional.
    #[wasm_bindgen(typescript_type = "SignOutOptions")]
    pub type SignOutOptionsArg;

    /// `PhotoOptions`, optional.
    #[wasm_bindgen(typescript_type = "PhotoOptions")]
    pub type PhotoOptionsArg;

    /// `VerifyOptions`, optional.
    #[wasm_bindgen(typescript_type = "VerifyOptions")]
    pub type VerifyOptionsArg;

    /// `DeleteOptions`, optional.
    #[wasm_bindgen(typescript_type = "DeleteOptions")]
    pub type DeleteOptionsArg;

    /// `string`, optional.
    #[wasm_bindgen(typescript_type = "string")]
    pub type CommentArg;

    /// `boolean | AddEventListenerOptions`, optional.
    #[wasm_bindgen(typescript_type = "boolean | AddEventListenerOptions")]
    pub type AddListenerOptionsArg;

    /// `boolean | EventListenerOptions`, optional.
    #[wasm_bindgen(typescript_type = "boolean | EventListenerOptions")]
    pub type RemoveListenerOptionsArg;
}
