// A small static file server for local HTTP: the demo, and the test apps.
import { createReadStream, statSync } from "node:fs";
import { extname, join, normalize, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ts": "text/plain; charset=utf-8",
};

/**
 * A request handler serving files from `mounts` (URL prefix -> directory),
 * longest prefix first; returns false when no file matches. Each file carries
 * an ETag (its size and modification time) and a matching If-None-Match gets a
 * 304, so a reload revalidates instead of downloading again (and the browser
 * can reuse the code it compiled from the cached copy).
 */
export function staticFiles(mounts, headers = {}) {
  const ordered = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length);
  return (req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    } catch {
      return false; // a malformed %-escape names no file
    }
    for (const [prefix, dir] of ordered) {
      if (!path.startsWith(prefix)) continue;
      let file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(normalize(dir + sep)) && file !== normalize(dir)) return false;
      try {
        if (statSync(file).isDirectory()) file = join(file, "index.html");
        const { size, mtimeMs } = statSync(file);
        const etag = `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
        if (req.headers["if-none-match"] === etag) {
          res.writeHead(304, { etag, ...headers });
          res.end();
          return true;
        }
        res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "content-length": size, etag, ...headers });
        createReadStream(file).pipe(res);
        return true;
      } catch {
        continue;
      }
    }
    return false;
  };
}
