// Regenerates the README screenshots (docs/screenshot.png: the cockpit; docs/screenshot-account.png:
// account 360's Overview with the DEAR breakdown, 1280×1500) at 1280×800 from the demo data, in Japanese, as the demo CSM 佐藤 美咲.
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
  const id = r.json.data[0].id;
  // The CSM's sentiment, as a CSM would record it after a meeting (it counts in Engagement).
  const sato = await env.srv.login('sato@example.com', 'kizuna-demo');
  await env.srv.request('PUT', `/api/v1/accounts/${id}/sentiment`, { cookie: sato.cookie, headers: { origin: env.srv.origin }, body: { score: 4, note: '定例会で活用状況を確認。管理者の方は前向き。' } });
  await env.srv.as(env.srv.admin).post('/api/v1/health/recompute', {});
  // Overview with the DEAR breakdown: a taller window so that all four components show.
  await page.setViewportSize({ width: 1280, height: 1500 });
  await page.goto(`/accounts/${id}`);
  await page.getByTestId('dear').waitFor();
  await page.getByTestId('health-sparkline').waitFor();
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: path.join(ROOT, 'docs', 'screenshot-account.png') });
  // docs/screenshot-dashboards.png: the revenue dashboard (MRR, the movements waterfall,
  // retention, churn), 1280×1200.
  await page.setViewportSize({ width: 1280, height: 1200 });
  await page.goto('/dashboards');
  await page.getByTestId('chart-waterfall').locator('canvas').waitFor();
  await page.getByTestId('chart-churn').locator('canvas').waitFor();
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: path.join(ROOT, 'docs', 'screenshot-dashboards.png') });
  await page.context().close();
  console.log('wrote docs/screenshot.png, docs/screenshot-account.png and docs/screenshot-dashboards.png');
} finally {
  await env.stop();
}
