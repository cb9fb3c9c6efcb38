// The browser-test harness: the sanitized server (build/test/kizuna) on a temp database
// filled by `kizuna demo`, serving the built web app (web/dist), driven by playwright-core
// with Debian's chromium (/usr/bin/chromium, or CHROMIUM_PATH). No browser is downloaded.
//
//   const env = await startWeb();            // server with demo data + a browser
//   after(() => env.close());
//   const page = await env.page();           // a fresh context; console errors are recorded
//   await env.login(page, 'sato@example.com');
//   ...
//   env.assertNoConsoleErrors(page);

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Server, runCli, tmpDb, ROOT, ADMIN_EMAIL, ADMIN_PASSWORD } from '../api/lib.mjs';

export { ADMIN_EMAIL, ADMIN_PASSWORD, ROOT };
export const DEMO_PASSWORD = 'kizuna-demo';
export const WEB_DIST = path.join(ROOT, 'web', 'dist');
export const OUT_DIR = path.join(ROOT, 'build', 'test', 'web');
// The demo's "today": the real date, so that the demo agrees with the server's clock (overdue
// tasks, renewals, usage); tests compare with the API rather than with fixed figures.
export const DEMO_TODAY = new Date().toISOString().slice(0, 10);

const require = createRequire(path.join(ROOT, 'web', 'package.json'));

function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  const p = candidates.find((c) => fs.existsSync(c));
  if (!p) throw new Error('chromium not found: apt-get install chromium (scripts/deps.sh test does), or set CHROMIUM_PATH');
  return p;
}

/** Starts a server with demo data and a headless chromium. */
export async function startWeb({ demo = true } = {}) {
  assert.ok(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web/dist is not built: make web');
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const { db, dir } = tmpDb('web');
  if (demo) {
    const r = runCli(['demo', '--db', db, '--today', DEMO_TODAY]);
    assert.equal(r.code, 0, `kizuna demo: ${r.stderr}`);
  }
  const srv = await Server.start({ db, dir, args: ['--web', WEB_DIST] });
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--lang=en-US'],
  });
  const errors = new WeakMap();
  const env = {
    srv,
    browser,
    base: srv.base,
    /** A new page in a new context (own cookies and storage); console errors are kept. */
    async page({ width = 1280, height = 800, locale = 'en-US', lang } = {}) {
      const ctx = await browser.newContext({ viewport: { width, height }, locale, baseURL: srv.base });
      if (lang) await ctx.addInitScript((l) => localStorage.setItem('kizuna.lang', l), lang);
      const page = await ctx.newPage();
      const list = [];
      errors.set(page, list);
      page.on('console', (m) => { if (m.type() === 'error') list.push(m.text()); });
      page.on('pageerror', (e) => list.push(`pageerror: ${e.message}`));
      page.setDefaultTimeout(15000);
      return page;
    },
    /** Logs in through the form and waits for the cockpit (or the given path). */
    async login(page, email = ADMIN_EMAIL, password = email === ADMIN_EMAIL ? ADMIN_PASSWORD : DEMO_PASSWORD) {
      if (!page.url().includes('/login')) await page.goto('/login');
      await page.getByTestId('login-email').fill(email);
      await page.getByTestId('login-password').fill(password);
      await page.getByTestId('login-submit').click();
      await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    },
    consoleErrors(page) { return errors.get(page) ?? []; },
    assertNoConsoleErrors(page, allow = []) {
      const bad = (errors.get(page) ?? []).filter((e) => !allow.some((re) => re.test(e)));
      assert.deepEqual(bad, [], `console errors on ${page.url()}`);
    },
    async screenshot(page, name) {
      await page.screenshot({ path: path.join(OUT_DIR, `${name}.png`), fullPage: false });
    },
    /** Closes the browser, then stops the server: exit 0, no sanitizer report. */
    async stop() {
      try { await browser.close(); } catch { /* already closed */ }
      await srv.stop();
    },
    /** after() safety net: kills whatever is left, removes the temp directory. */
    async close() {
      try { await browser.close(); } catch { /* already closed */ }
      await srv.cleanup();
    },
  };
  return env;
}

/** True when the page scrolls horizontally (something is wider than the viewport). */
export async function hasHorizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
}

/** Controls without an accessible name (label, aria-label(ledby), title, or text for buttons,
 * links and disclosure summaries). */
export function unnamedControls(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('input, select, textarea, button, a[href], summary')) {
      if (el.type === 'hidden' || el.closest('[aria-hidden=true]')) continue;
      const named = (el.labels && el.labels.length > 0 && [...el.labels].some((l) => l.textContent.trim()))
        || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title')
        || (['BUTTON', 'A', 'SUMMARY'].includes(el.tagName) && el.textContent.trim());
      if (!named) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
}

/** Waits until the page's requests are done and no loading state is shown. */
export async function settle(page) {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(() => !document.querySelector('.state-loading'), null, { timeout: 15000 })
    .catch(() => { throw new Error(`still loading: ${page.url()}`); });
}
