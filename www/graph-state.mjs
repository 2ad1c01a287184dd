// The state behind the org server stand-in's Microsoft Graph subset: mail folders,
// messages, contacts and events with a change log, delta queries with tokens
// (`@odata.nextLink` pages, `@odata.deltaLink`, `@removed`, 410 for tokens older
// than the oldest change kept), and the calls an outbox sends (PATCH, move,
// DELETE, permanentDelete, sendMail, meeting responses). No HTTP here: the
// server maps requests onto these functions, and tests drive them directly.
//
// Ids are immutable (as with `Prefer: IdType="ImmutableId"`): a move keeps the id.

const KINDS = ["mailFolders", "messages", "contacts", "events"];

/** A Graph error as `{ status, body }`. */
const error = (status, code, message) => ({ status, body: { error: { code, message } } });

/**
 * A Graph mailbox. `data` holds arrays of Graph objects by kind (`mailFolders`,
 * `messages`, `contacts`, `events`); every object needs an `id`.
 */
export function createGraphState(data) {
  let version = 0;
  /** kind -> id -> { item, version, removed: null | "deleted" | "changed", scopeBefore } */
  const items = Object.fromEntries(KINDS.map((kind) => [kind, new Map()]));
  /** Tokens at or below this version are too old: 410 Gone. */
  let oldestValid = 0;
  let sequence = 0;

  const put = (kind, item) => {
    version += 1;
    items[kind].set(item.id, { item: structuredClone(item), version, removed: null });
  };
  for (const kind of KINDS) for (const item of data[kind] ?? []) put(kind, item);

  const wellKnownFolder = (name) =>
    [...items.mailFolders.values()].find((e) => !e.removed && e.item.wellKnownName === name)?.item.id ?? name;

  /** The live message `id`, or a 404 error. */
  const liveMessage = (id) => {
    const entry = items.messages.get(id);
    return entry && !entry.removed ? entry : null;
  };

  const touch = (entry, change) => {
    version += 1;
    change(entry.item);
    entry.version = version;
  };

  const remove = (kind, entry, reason) => {
    version += 1;
    entry.removed = reason;
    entry.version = version;
  };

  /**
   * One page of a delta query over `kind`, limited to items `inScope`. `token` is
   * from a previous deltaLink (`null` starts afresh), `after` from a nextLink: pages
   * walk the changes in the order they were made, so a change made while a client
   * pages comes on a later page (an item may come twice; never not at all).
   * Returns `{ status, body }`; a 200 body is `{ value, next }` with `next` either
   * `{ after }` (more pages: the HTTP layer makes a nextLink of it) or
   * `{ deltaToken }` (the last page).
   */
  function delta(kind, inScope, { token = null, after = 0, pageSize = 100 } = {}) {
    const since = token === null ? 0 : Number(token);
    if (!Number.isInteger(since) || since < 0 || since > version) return error(400, "BadRequest", "malformed delta token");
    if (token !== null && since < oldestValid) {
      return error(410, "SyncStateNotFound", "the delta token has expired; start the sync over");
    }
    const from = Math.max(since, after);
    const changed = [...items[kind].values()]
      .filter((e) => e.version > from && (e.removed ? since > 0 : true) && inScope(e.item))
      .sort((a, b) => a.version - b.version);
    const page = changed.slice(0, pageSize);
    const value = page.map((e) => (e.removed ? { id: e.item.id, "@removed": { reason: e.removed } } : structuredClone(e.item)));
    const next = changed.length > pageSize ? { after: page.at(-1).version } : { deltaToken: String(version) };
    return { status: 200, body: { value, next } };
  }

  return {
    /** The version of the newest change. */
    get version() { return version; },

    /** Every live item of `kind`, by id. */
    live(kind) {
      return new Map([...items[kind]].filter(([, e]) => !e.removed).map(([id, e]) => [id, e.item]));
    },

    /** Makes every token issued so far expire (the next delta with one answers 410). */
    expireTokens() { oldestValid = version + 1; },

    mailFoldersDelta: (options) => delta("mailFolders", () => true, options),
    messagesDelta: (folderId, options) => {
      const folder = wellKnownFolder(folderId);
      return delta("messages", (m) => m.parentFolderId === folder, options);
    },
    contactsDelta: (options) => delta("contacts", () => true, options),
    /** calendarView delta: instances overlapping [start, end) (ISO strings in UTC). */
    eventsDelta: (start, end, options) =>
      delta("events", (e) => e.start.dateTime < end && e.end.dateTime > start, options),

    /** PATCH /me/messages/{id} with the fields a client may change offline. */
    patchMessage(id, fields) {
      const entry = liveMessage(id);
      if (!entry) return error(404, "ErrorItemNotFound", "no such message");
      const allowed = ["isRead", "flag", "categories", "subject", "body", "toRecipients", "ccRecipients", "bccRecipients", "importance"];
      const unknown = Object.keys(fields).filter((k) => !allowed.includes(k));
      if (unknown.length) return error(400, "ErrorInvalidProperty", `cannot change ${unknown.join(", ")}`);
      touch(entry, (m) => Object.assign(m, structuredClone(fields)));
      return { status: 200, body: structuredClone(entry.item) };
    },

    /** POST /me/messages/{id}/move: the folder may be an id or a well-known name. */
    moveMessage(id, destinationId) {
      const entry = liveMessage(id);
      if (!entry) return error(404, "ErrorItemNotFound", "no such message");
      const folder = wellKnownFolder(destinationId);
      if (!items.mailFolders.has(folder)) return error(400, "ErrorInvalidIdMalformed", "no such folder");
      const from = entry.item.parentFolderId;
      touch(entry, (m) => { m.parentFolderId = folder; });
      // Deltas of the folder it left report it as removed ("changed"): a tombstone
      // of its old place, under a key of its own.
      version += 1;
      items.messages.set(`${id}\u0000left@${version}`, { item: { id, parentFolderId: from }, version, removed: "changed" });
      return { status: 201, body: structuredClone(entry.item) };
    },

    /** DELETE /me/messages/{id}: to Deleted Items (for good if it is there already). */
    deleteMessage(id) {
      const entry = liveMessage(id);
      if (!entry) return error(404, "ErrorItemNotFound", "no such message");
      const deleted = wellKnownFolder("deleteditems");
      if (entry.item.parentFolderId === deleted) {
        remove("messages", entry, "deleted");
        return { status: 204, body: null };
      }
      const result = this.moveMessage(id, deleted);
      return result.status === 201 ? { status: 204, body: null } : result;
    },

    /** POST /me/messages/{id}/permanentDelete. */
    permanentlyDeleteMessage(id) {
      const entry = liveMessage(id);
      if (!entry) return error(404, "ErrorItemNotFound", "no such message");
      remove("messages", entry, "deleted");
      return { status: 204, body: null };
    },

    /** POST /me/sendMail: the message lands in Sent Items with a new id. */
    sendMail(message) {
      if (!message || typeof message !== "object") return error(400, "ErrorInvalidRequest", "message is required");
      sequence += 1;
      const sent = {
        ...structuredClone(message),
        id: `sent-${sequence}`,
        parentFolderId: wellKnownFolder("sentitems"),
        isDraft: false,
        isRead: true,
        sentDateTime: new Date(Date.UTC(2024, 0, 1) + sequence * 1000).toISOString(),
      };
      put("messages", sent);
      return { status: 202, body: null };
    },

    /** POST /me/messages: a new draft in Drafts, with an id of the server's. */
    createDraft(message) {
      if (!message || typeof message !== "object") return error(400, "ErrorInvalidRequest", "a message is required");
      sequence += 1;
      const draft = { ...structuredClone(message), id: `draft-${sequence}`, parentFolderId: wellKnownFolder("drafts"), isDraft: true };
      put("messages", draft);
      return { status: 201, body: structuredClone(draft) };
    },

    /** POST /me/messages/{id}/send: the draft leaves Drafts for Sent Items. */
    sendDraft(id) {
      const entry = liveMessage(id);
      if (!entry) return error(404, "ErrorItemNotFound", "no such message");
      if (!entry.item.isDraft) return error(400, "ErrorInvalidOperation", "only a draft can be sent");
      const message = structuredClone(entry.item);
      remove("messages", entry, "deleted");
      const { id: _, ...rest } = message;
      return this.sendMail(rest);
    },

    /** POST /me/events/{id}/accept | tentativelyAccept | decline. */
    respondToEvent(id, response) {
      const entry = items.events.get(id);
      if (!entry || entry.removed) return error(404, "ErrorItemNotFound", "no such event");
      const status = { accept: "accepted", tentativelyAccept: "tentativelyAccepted", decline: "declined" }[response];
      if (!status) return error(400, "ErrorInvalidRequest", "unknown response");
      touch(entry, (e) => { e.responseStatus = { response: status }; });
      return { status: 202, body: null };
    },
  };
}
