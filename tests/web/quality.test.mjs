// Quality bars of issue 7: keyboard use with visible focus, a name on every control, no
// horizontal scrolling at 1280×800 and 390×844, the initial JavaScript budget (≤ 200 KB
// gzipped, ECharts in its own chunk), and no innerHTML of user text anywhere in the source.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { startWeb, hasHorizontalOverflow, WEB_DIST, ROOT, unnamedControls, settle } from './lib.mjs';

const env = await startWeb();
after(() => env.close());
let acctId;

before(async () => {
  const r = await env.srv.as(env.srv.admin).get('/api/v1/accounts?sort=-arr&limit=1');
  acctId = r.json.data[0].id;
});

const PAGES = () => [
  '/', '/accounts', `/accounts/${acctId}`, `/accounts/${acctId}?tab=timeline`, `/accounts/${acctId}?tab=usage`,
  `/accounts/${acctId}?tab=stakeholders`, `/accounts/${acctId}?tab=tasks`, `/accounts/${acctId}?tab=journey`,
  `/accounts/${acctId}?tab=success`, `/accounts/${acctId}?tab=surveys`, '/accounts?band=red&sort=health', '/settings?tab=users', '/settings?tab=tokens',
  '/settings?tab=writeKeys', '/settings?tab=tiers', '/settings?tab=keyEvents', '/settings?tab=healthModel', '/settings?tab=lifecycle',
  '/settings?tab=import',
  '/settings?tab=email',
];

for (const [w, h] of [[1280, 800], [390, 844]]) {
  test(`every page at ${w}×${h}: no horizontal overflow, every control named, no console error`, async () => {
    const page = await env.page({ width: w, height: h });
    await env.login(page);
    for (const p of PAGES()) {
      await page.goto(p);
      await settle(page);
      assert.equal(await hasHorizontalOverflow(page), false, `${p} scrolls sideways at ${w}px`);
      assert.deepEqual(await unnamedControls(page), [], `${p}: controls without a name`);
    }
    await page.goto('/');
    await settle(page);
    await env.screenshot(page, `cockpit-${w}`);
    await page.goto(`/accounts/${acctId}`);
    await settle(page);
    await env.screenshot(page, `account-${w}`);
    env.assertNoConsoleErrors(page);
    await page.context().close();
  });
}

test('keyboard: skip link, visible focus, tabs and buttons work without a mouse', async () => {
  const page = await env.page();
  await page.goto('/login');
  // The login form is usable from the keyboard alone.
  await page.getByTestId('login-email').focus();
  await page.keyboard.type('sato@example.com');
  await page.keyboard.press('Tab');
  await page.keyboard.type('kizuna-demo');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/');
  await page.getByTestId('task-row').first().waitFor();
  // After an in-app navigation the focus is on the new page's content.
  await page.getByRole('link', { name: 'Accounts' }).click();
  await page.getByTestId('account-row').first().waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  // A fresh load starts at the top: the first Tab reaches the skip link.
  await page.goto('/');
  await page.getByTestId('task-row').first().waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused element shows a focus ring');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  // Tab reaches a task's complete button, and it shows focus.
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement.dataset.testid === 'task-complete')) break;
  }
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'task-complete');
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'none');
  env.assertNoConsoleErrors(page);
  await page.context().close();
});

test('initial JavaScript is within 200 KB gzipped, and ECharts is a separate chunk', () => {
  const html = fs.readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8');
  const initial = [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="([^"]+\.js)"/g)].map((m) => m[1]);
  assert.ok(initial.length > 0, 'index.html loads a script');
  let gz = 0;
  for (const src of initial) {
    const text = fs.readFileSync(path.join(WEB_DIST, src));
    assert.ok(!/echarts\.apache|ECharts is a/.test(text), `${src} bundles ECharts`);
    gz += zlib.gzipSync(text, { level: 9 }).length;
  }
  console.log(`# initial JS: ${initial.join(', ')} = ${(gz / 1024).toFixed(1)} KB gzipped`);
  assert.ok(gz <= 200 * 1024, `initial JS is ${gz} bytes gzipped`);
  const assets = fs.readdirSync(path.join(WEB_DIST, 'assets'));
  const chunks = assets.filter((f) => /^echarts-.*\.js$/.test(f));
  assert.equal(chunks.length, 1, 'ECharts has its own lazily loaded chunk');
  for (const f of assets.filter((x) => /\.(js|css)$/.test(x))) assert.ok(assets.includes(`${f}.gz`), `no gzip copy of ${f}`);
});

test('no user text is ever rendered as HTML (no dangerouslySetInnerHTML / innerHTML in the app)', () => {
  const files = [];
  const walk = (d) => { for (const f of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, f.name); if (f.isDirectory()) walk(p); else if (/\.(tsx?|jsx?)$/.test(f.name)) files.push(p); } };
  walk(path.join(ROOT, 'web', 'src'));
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    assert.doesNotMatch(text, /dangerouslySetInnerHTML|\.innerHTML\s*=|insertAdjacentHTML|document\.write/, path.relative(ROOT, f));
  }
});

test('server stops cleanly', () => env.stop());
