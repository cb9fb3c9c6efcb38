// Logging in and out, and a session that ends while the app is open: the next API call's
// 401 sends the user to the login form, and logging in again returns to where they were.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startWeb, ADMIN_EMAIL } from './lib.mjs';

const env = await startWeb();
after(() => env.close());

test('a wrong password is refused with a message; the right one opens the cockpit', async () => {
  const page = await env.page();
  await page.goto('/');
  await page.waitForURL(/\/login/);
  await page.getByTestId('login-email').fill('sato@example.com');
  await page.getByTestId('login-password').fill('wrong-password');
  await page.getByTestId('login-submit').click();
  await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
  assert.match(page.url(), /\/login/);
  await page.getByTestId('login-password').fill('kizuna-demo');
  await page.getByTestId('login-submit').click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.getByRole('heading', { name: 'Cockpit', level: 1 }).waitFor();
  assert.match(await page.locator('.whoami').textContent(), /佐藤 美咲/);
  await env.screenshot(page, 'cockpit-en');
  env.assertNoConsoleErrors(page, [/401 \(Unauthorized\)/]);
  await page.context().close();
});

test('a deep link before login comes back after it', async () => {
  const page = await env.page();
  await page.goto('/accounts?tier=high');
  await page.waitForURL(/\/login\?next=/);
  await env.login(page, 'suzuki@example.com');
  await page.waitForURL((u) => u.pathname === '/accounts' && u.search === '?tier=high');
  await page.getByTestId('account-row').first().waitFor();
  env.assertNoConsoleErrors(page);
  await page.context().close();
});

test('logout ends the session on the server', async () => {
  const page = await env.page();
  await env.login(page, ADMIN_EMAIL);
  await page.getByTestId('logout').click();
  await page.waitForURL(/\/login/);
  const r = await page.request.get('/api/v1/session');
  assert.equal(r.status(), 401);
  await page.goto('/accounts');
  await page.waitForURL(/\/login\?next=%2Faccounts/);
  env.assertNoConsoleErrors(page, [/401 \(Unauthorized\)/]);
  await page.context().close();
});

test('session expiry: the app returns to login, then back to the page the user was on', async () => {
  const page = await env.page();
  await env.login(page, 'sato@example.com');
  await page.goto('/accounts');
  const row = page.getByTestId('account-row').nth(2);
  const href = await row.locator('a').first().getAttribute('href');
  // End the session on the server while the browser keeps its (now dead) cookie.
  const ctx = page.context();
  const cookies = await ctx.cookies();
  const del = await page.request.delete('/api/v1/session', { headers: { 'content-type': 'application/json', origin: env.base } });
  assert.equal(del.status(), 204);
  await ctx.addCookies(cookies);
  await row.locator('a').first().click();
  await page.waitForURL(/\/login\?next=/);
  await page.getByText('Your session has expired').waitFor();
  assert.equal(new URL(page.url()).searchParams.get('next'), href);
  await env.login(page, 'sato@example.com');
  await page.waitForURL((u) => u.pathname === href);
  await page.getByTestId('health-score').waitFor();
  env.assertNoConsoleErrors(page, [/401 \(Unauthorized\)/]);
  await ctx.close();
});

test('server stops cleanly', () => env.stop());
