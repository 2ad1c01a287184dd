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

/** A Graph-shaped resource (`message`, `mailFolder`, `contact`, `event`); unknown fields are kept. */
export interface GraphItem {
  id: string;
  [field: string]: unknown;
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
