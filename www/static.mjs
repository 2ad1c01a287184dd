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
 * longest prefix first; returns false when no file matches.
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
        const size = statSync(file).size;
        res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "content-length": size, ...headers });
        createReadStream(file).pipe(res);
        return true;
      } catch {
        continue;
      }
    }
    return false;
  };
}
