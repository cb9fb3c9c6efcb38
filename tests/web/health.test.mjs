// Health badges on the demo's real scores: band colour, icon and word (never colour alone) in
// the accounts list, the cockpit's at-risk panel (red accounts from the server) and the
// account header.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startWeb } from './lib.mjs';

const env = await startWeb();
after(() => env.close());
const WORD = { green: /●\s*\d+\s*Healthy/, yellow: /▲\s*\d+\s*Needs attention/, red: /◆\s*\d+\s*At risk/ };

test('badges show the band with icon, score and word; the header shows the score', async () => {
  const list = (await env.srv.as(env.srv.admin).get('/api/v1/accounts?sort=health&limit=50')).json.data;
  assert.ok(list.some((a) => a.band), 'the demo has scored accounts');
  const page = await env.page();
  await env.login(page, 'sato@example.com');
  await page.getByTestId('at-risk').or(page.getByText(/None of your accounts is at risk/)).first().waitFor();
  const red = page.getByTestId('at-risk').locator('.band-red');
  if (await red.count()) assert.match(await red.first().textContent(), WORD.red);
  await page.goto('/accounts?sort=health');
  await page.getByTestId('account-row').first().waitFor();
  const rows = page.getByTestId('account-row');
  for (let i = 0; i < Math.min(list.length, 10); i++) {
    const a = list[i];
    if (!a.band) continue;
    assert.match(await rows.nth(i).locator(`.band-${a.band}`).textContent(), WORD[a.band]);
  }
  await rows.first().locator('th a').click();
  await page.getByTestId('health-score').locator('strong').waitFor();
  assert.match(await page.getByTestId('health-score').textContent(), /\d+/);
  env.assertNoConsoleErrors(page);
  await page.context().close();
});

test('server stops cleanly', () => env.stop());
