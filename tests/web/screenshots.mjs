// Regenerates the README screenshots (docs/screenshot.png: the cockpit; docs/screenshot-account.png:
// account 360) at 1280×800 from the demo data, in Japanese, as the demo CSM 佐藤 美咲.
// Usage: make build/kizuna web && KIZUNA_BIN=build/kizuna node tests/web/screenshots.mjs
// (not part of make test)
import path from 'node:path';
import { startWeb, ROOT } from './lib.mjs';

const env = await startWeb();
try {
  const page = await env.page({ locale: 'ja-JP', lang: 'ja' });
  await env.login(page, 'sato@example.com');
  await page.getByTestId('activity').waitFor();
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: path.join(ROOT, 'docs', 'screenshot.png') });
  const r = await env.srv.as(env.srv.admin).get(`/api/v1/accounts?owner=${(await env.srv.login('sato@example.com', 'kizuna-demo')).user.id}&sort=-arr&limit=1`);
  await page.goto(`/accounts/${r.json.data[0].id}`);
  await page.getByTestId('subscription').waitFor();
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: path.join(ROOT, 'docs', 'screenshot-account.png') });
  await page.context().close();
  console.log('wrote docs/screenshot.png and docs/screenshot-account.png');
} finally {
  await env.stop();
}
