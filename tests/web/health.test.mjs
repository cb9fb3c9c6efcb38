// Health fields light up when the health API lands: the account JSON is extended here in the
// browser (route interception) with `health` and `band`, in both shapes the API may take,
// and the badge shows band colour, icon and word (never colour alone), the at-risk panel
// lists the red accounts, and the account header shows the score.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startWeb } from './lib.mjs';

const env = await startWeb();
after(() => env.close());
const BANDS = ['green', 'yellow', 'red'];

/** Adds health to every account in list and single-account replies. */
async function withHealth(page, shape) {
  await page.route(/\/api\/v1\/accounts(\/\d+)?(\?.*)?$/, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    const add = (a) => {
      const band = BANDS[a.id % 3];
      const score = band === 'green' ? 82 : band === 'yellow' ? 55 : 23;
      return shape === 'object' ? { ...a, health: { score, band } } : { ...a, health: score, band };
    };
    const out = Array.isArray(body.data) ? { ...body, data: body.data.map(add) } : add(body);
    await route.fulfill({ response: res, json: out });
  });
}

for (const shape of ['flat', 'object']) {
  test(`health as ${shape === 'flat' ? 'health + band' : 'health: {score, band}'}: badges, at-risk, header`, async () => {
    const page = await env.page();
    await withHealth(page, shape);
    await env.login(page, 'sato@example.com');
    const risk = page.getByTestId('at-risk');
    await risk.waitFor();
    const red = risk.locator('.band-red');
    assert.ok(await red.count() > 0);
    assert.match(await red.first().textContent(), /◆\s*23\s*At risk/);
    await page.goto('/accounts');
    await page.getByTestId('account-row').first().waitFor();
    for (const band of BANDS) {
      const badge = page.getByTestId('account-row').locator(`.band-${band}`).first();
      const text = await badge.textContent();
      assert.match(text, { green: /●.*Healthy/, yellow: /▲.*Needs attention/, red: /◆.*At risk/ }[band]);
    }
    await page.getByTestId('account-row').first().locator('th a').click();
    await page.getByTestId('health-score').locator('strong').waitFor();
    assert.match(await page.getByTestId('health-score').textContent(), /\d+/);
    env.assertNoConsoleErrors(page);
    await page.context().close();
  });
}

test('server stops cleanly', () => env.stop());
