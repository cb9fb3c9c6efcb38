// After `vite build`: a gzip copy (file.gz) beside each hashed asset worth compressing, which
// `kizuna serve` sends to clients that accept gzip (libmicrohttpd does not compress).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'assets');
let before = 0, after = 0;
for (const f of fs.readdirSync(dir)) {
  if (!/\.(js|css|svg|json)$/.test(f)) continue;
  const data = fs.readFileSync(path.join(dir, f));
  if (data.length < 1024) continue;
  const gz = zlib.gzipSync(data, { level: 9 });
  fs.writeFileSync(path.join(dir, `${f}.gz`), gz);
  before += data.length;
  after += gz.length;
}
console.log(`gzip: ${(before / 1024).toFixed(0)} KB of assets -> ${(after / 1024).toFixed(0)} KB`);
