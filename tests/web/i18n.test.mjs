// Japanese and English: the browser's language on the first visit, the switch in the header,
// remembered across reloads, <html lang> following it, and Intl formatting of money.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startWeb } from './lib.mjs';

const env = await startWeb();
after(() => env.close());

test('a Japanese browser gets the Japanese UI, with the seeds\' terms', async () => {
  const page = await env.page({ locale: 'ja-JP' });
  await page.goto('/login');
  await page.getByRole('heading', { name: 'Kizuna にログイン' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  await env.login(page, 'sato@example.com');
  await page.getByRole('heading', { level: 1, name: 'コックピット' }).waitFor();
  await page.getByRole('heading', { name: '自分の未完了タスク' }).waitFor();
  await page.goto('/accounts?tier=high');
  await page.getByTestId('account-row').first().waitFor();
  assert.match(await page.locator('thead').textContent(), /ヘルススコア/);
  assert.equal(await page.getByTestId('account-row').first().locator('.tier-high').textContent(), 'ハイタッチ');
  // Money in yen, formatted for Japan.
  assert.match(await page.getByTestId('account-row').first().locator('td.num').textContent(), /[¥￥][\d,]+/);
  await env.screenshot(page, 'accounts-ja');
  env.assertNoConsoleErrors(page);
  await page.context().close();
});

test('the switch changes the UI text and is remembered', async () => {
  const page = await env.page({ locale: 'en-US' });
  await env.login(page, 'sato@example.com');
  await page.getByRole('link', { name: 'Accounts' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.getByTestId('lang-switch').selectOption('ja');
  await page.getByRole('link', { name: '顧客一覧' }).waitFor();
  await page.getByRole('heading', { level: 1, name: 'コックピット' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'コックピット' }).waitFor();
  assert.equal(await page.getByTestId('lang-switch').inputValue(), 'ja');
  await page.getByTestId('lang-switch').selectOption('en');
  await page.getByRole('heading', { level: 1, name: 'Cockpit' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  env.assertNoConsoleErrors(page);
  await page.context().close();
});

test('server stops cleanly', () => env.stop());
