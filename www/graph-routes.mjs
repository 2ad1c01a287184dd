// The org server stand-in's Microsoft Graph subset over HTTP, on top of
// graph-state.mjs: the delta queries a sync pulls and the calls an outbox pushes,
// under /v1.0/me/..., with fault injection for the tests (/control/...).
//
// Faults are queued with POST /control/faults `[{ status, retryAfter? } | { drop: true }]`
// and consumed, one per request, by the next Graph requests: a status answers
// with that error, `drop` destroys the connection without an answer (a browser
// may retry a dropped request once by itself), `hang` never answers. DELETE
// /control/faults clears them.
// POST /control/expire-tokens makes every delta token issued so far answer 410.

const JSON_TYPE = { "content-type": "application/json" };

/**
 * Reads a request's body as JSON (`undefined` when empty); rejects on bad JSON.
 * The text as sent goes into the log `entry`, when there is one.
 */
function readJson(req, entry = {}) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("error", reject);
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      entry.body = text;
      if (!text) return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** The page size a client asked for with `Prefer: odata.maxpagesize=N` (default 100, at most 1000). */
function pageSize(req) {
  const match = /odata\.maxpagesize=(\d+)/.exec(req.headers.prefer ?? "");
  return match ? Math.min(Math.max(Number(match[1]), 1), 1000) : 100;
}

/**
 * A request handler for the Graph subset over `state` (see createGraphState):
 * `(req, res, headers) => Promise<boolean>`, false when the path is not Graph's
 * or the control API's. `headers` are added to every answer (CORS). Every Graph
 * request is logged into `log` as `{ method, path, status, fault }`.
 */
export function graphRoutes(state, log = []) {
  const faults = [];

  return async (req, res, headers = {}) => {
    const url = new URL(req.url, `http://${req.headers.host ?? "127.0.0.1"}`);
    const path = url.pathname;
    if (!path.startsWith("/v1.0/") && !path.startsWith("/control/")) return false;
    const send = (status, body, extra = {}) => {
      res.writeHead(status, { ...headers, ...(body === null ? {} : JSON_TYPE), ...extra });
      res.end(body === null ? "" : JSON.stringify(body));
    };
    if (req.method === "OPTIONS") {
      send(204, null, {
        "access-control-allow-methods": "GET, POST, PATCH, DELETE",
        "access-control-allow-headers": "authorization, content-type, prefer",
        "access-control-expose-headers": "retry-after",
      });
      return true;
    }
    if (path === "/control/faults" && req.method === "POST") {
      faults.push(...(await readJson(req)));
      send(204, null);
      return true;
    }
    if (path === "/control/faults" && req.method === "DELETE") {
      faults.length = 0;
      send(204, null);
      return true;
    }
    if (path === "/control/expire-tokens" && req.method === "POST") {
      state.expireTokens();
      send(204, null);
      return true;
    }
    if (path.startsWith("/control/")) {
      send(404, { error: { code: "NotFound" } });
      return true;
    }

    const entry = { method: req.method, path, status: null, fault: null };
    log.push(entry);
    const answer = (status, body, extra) => {
      entry.status = status;
      send(status, body, extra);
      return true;
    };
    if (!/^Bearer \S+/.test(req.headers.authorization ?? "")) {
      return answer(401, { error: { code: "InvalidAuthenticationToken", message: "a bearer token is required" } });
    }
    const fault = faults.shift();
    if (fault?.hang) {
      // Never answers: the request stays open until the client gives up.
      entry.fault = "hang";
      return true;
    }
    if (fault?.drop) {
      entry.fault = "drop";
      req.socket.destroy();
      return true;
    }
    if (fault) {
      entry.fault = fault.status;
      const retry = fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) };
      return answer(fault.status, { error: { code: "Injected", message: "a fault injected by the test" } }, retry);
    }

    let body;
    try {
      body = await readJson(req, entry);
    } catch {
      return answer(400, { error: { code: "BadRequest", message: "the body is not JSON" } });
    }
    const result = route(req.method, path, url, body, pageSize(req));
    if (!result) return answer(404, { error: { code: "NotFound", message: `no route for ${req.method} ${path}` } });
    return answer(result.status, result.body);
  };

  /** The state call for a request, or null. Delta bodies get their links here. */
  function route(method, path, url, body, size) {
    const segments = path.split("/").slice(2).map(decodeURIComponent); // after "/v1.0"
    const [me, collection, id, action, sub] = segments;
    if (me !== "me") return null;
    const deltaOptions = () => {
      const skip = url.searchParams.get("$skiptoken");
      const [after, token] = skip ? skip.split(".") : ["0", url.searchParams.get("$deltatoken")];
      return { token: token === null || token === "" ? null : token, after: Number(after) || 0, pageSize: size };
    };
    const withLinks = (result) => {
      if (result.status !== 200) return result;
      const { value, next } = result.body;
      const link = new URL(url);
      link.search = "";
      for (const [k, v] of url.searchParams) if (!k.startsWith("$")) link.searchParams.set(k, v);
      const base = link.href;
      const join = base.includes("?") ? "&" : "?";
      const token = deltaOptions().token ?? "";
      const links = next.deltaToken
        ? { "@odata.deltaLink": `${base}${join}$deltatoken=${next.deltaToken}` }
        : { "@odata.nextLink": `${base}${join}$skiptoken=${next.after}.${token}` };
      return { status: 200, body: { value, ...links } };
    };
    if (method === "GET") {
      if (collection === "mailFolders" && id === "delta") return withLinks(state.mailFoldersDelta(deltaOptions()));
      if (collection === "mailFolders" && action === "messages" && sub === "delta") {
        return withLinks(state.messagesDelta(id, deltaOptions()));
      }
      if (collection === "contacts" && id === "delta") return withLinks(state.contactsDelta(deltaOptions()));
      if (collection === "calendarView" && id === "delta") {
        const start = url.searchParams.get("startDateTime");
        const end = url.searchParams.get("endDateTime");
        if (!start || !end) return { status: 400, body: { error: { code: "ErrorInvalidParameter", message: "startDateTime and endDateTime are required" } } };
        return withLinks(state.eventsDelta(start, end, deltaOptions()));
      }
      return null;
    }
    if (collection === "messages" && id && !action) {
      if (method === "PATCH") return state.patchMessage(id, body ?? {});
      if (method === "DELETE") return state.deleteMessage(id);
    }
    if (collection === "messages" && method === "POST" && action === "move") return state.moveMessage(id, body?.destinationId);
    if (collection === "messages" && method === "POST" && action === "permanentDelete") return state.permanentlyDeleteMessage(id);
    if (collection === "messages" && method === "POST" && !id) return state.createDraft(body);
    if (collection === "messages" && method === "POST" && action === "send") return state.sendDraft(id);
    if (collection === "sendMail" && method === "POST") return state.sendMail(body?.message);
    if (collection === "events" && method === "POST" && action) return state.respondToEvent(id, action);
    return null;
  }
}
