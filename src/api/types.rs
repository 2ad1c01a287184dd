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
  /** PBKDF2 iterations for a new passphrase wrap (default 600000). */
  passphraseIterations?: number;
}

/** Options for `OfflineMailbox.open`. */
export interface OpenOptions extends KeyOptions {
  /** A stable id for the signed-in user (prefer the directory object id to the address). */
  userId: string;
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
export interface ListOptions {
  /** Page size, 1 to 1000 (default 50). */
  limit?: number;
  /** `nextCursor` from the previous page. */
  cursor?: string;
}

/** One page from `listMessages`, newest first. */
export interface MessagePage { value: Message[]; nextCursor: string | null }

/** A time range for `events`: Dates, ISO 8601 strings with offset, or epoch milliseconds. */
export interface EventRange { start: Date | string | number; end: Date | string | number }

/** Options for `contacts`. */
export interface ContactQuery {
  /** Start of a name word or an address, case-insensitive; empty lists all. */
  prefix?: string;
  /** At most this many (default 10). */
  limit?: number;
}

/** A record that failed its integrity check and was set aside. */
export interface QuarantineEntry {
  kind: "messages" | "folders" | "contacts" | "events";
  /** The record id, or null when it was found without a lookup by id. */
  id: string | null;
}

/** Stable codes carried by every error the library throws, as `error.code`. */
export type ErrorCode =
  | "WrongKey"
  | "Integrity"
  | "QuotaExceeded"
  | "VersionTooNew"
  | "Closed"
  | "InvalidInput"
  | "Unsupported"
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
  /** VersionTooNew: the schema version found and the newest this build reads. */
  found?: number;
  supported?: number;
}
"#;
