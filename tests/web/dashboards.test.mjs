// The dashboards (/dashboards) on the demo data: fetched only when opened (their chunk and
// ECharts), every dashboard drawn without a console error, figures equal to what the metrics
// API answers, filters (tier, owner, segment, months) changing the figures and the URL and
// surviving a reload, loading/empty/error states, Japanese labels, the 390 px layout, CSV
// downloads. A screenshot of each dashboard lands in build/test/web/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startWeb, hasHorizontalOverflow, unnamedControls } from './lib.mjs';

const env = await startWeb();
after(() => env.close());

const api = async (p) => {
  const r = await env.srv.as(env.srv.admin).get(p);
  assert.equal(r.status, 200, `${p}: ${r.text}`);
  return r.json;
};
const yen = (n, loc = 'en-US') => new Intl.NumberFormat(loc, { style: 'currency', currency: 'JPY', maximumFractionDigits: 0 }).format(n);
const pct = (x, d = 1, loc = 'en-US') => new Intl.NumberFormat(loc, { style: 'percent', maximumFractionDigits: d }).format(x);
const text = async (loc) => (await loc.textContent()).trim();

// What each dashboard shows once its data is in.
const TABS = {
  revenue: { en: 'Revenue', ja: '売上', ready: (p) => p.getByTestId('chart-waterfall').locator('canvas') },
  cohorts: { en: 'Cohorts', ja: 'コホート', ready: (p) => p.getByTestId('cohort-table') },
  renewals: { en: 'Renewals', ja: '契約更新', ready: (p) => p.getByTestId('renewals-table') },
  health: { en: 'Health', ja: 'ヘルススコア', ready: (p) => p.getByTestId('table-health') },
  journey: { en: 'Journey', ja: 'ジャーニー', ready: (p) => p.getByTestId('kpi-onb-rate') },
  surveys: { en: 'Surveys', ja: 'アンケート', ready: (p) => p.getByTestId('chart-surveys').locator('canvas') },
  team: { en: 'Team', ja: 'チーム', ready: (p) => p.getByTestId('book-table') },
};

let page;
const requested = [];
let segment;

before(async () => {
  // A saved segment for the segment filter: today's high-touch accounts.
  const r = await env.srv.as(env.srv.admin).post('/api/v1/segments', { name: 'Web dashboards: high touch', filter: { field: 'tier', op: 'eq', value: 'high' } });
  assert.equal(r.status, 201, r.text);
  segment = r.json;
  page = await env.page();
  page.on('request', (req) => requested.push(new URL(req.url()).pathname));
  await env.login(page);
});

test('the dashboards and ECharts are fetched only when /dashboards opens', async () => {
  await page.getByTestId('my-tasks').or(page.getByText('No open tasks')).first().waitFor();
  assert.ok(!requested.some((p) => /DashboardsPage-|echarts-/.test(p)), 'nothing of the dashboards in the initial load');
  await page.getByRole('link', { name: 'Dashboards' }).click();
  await page.waitForURL(/\/dashboards$/);
  await page.getByRole('heading', { level: 1, name: 'Dashboards' }).waitFor();
  await TABS.revenue.ready(page).waitFor();
  assert.ok(requested.some((p) => /\/assets\/DashboardsPage-.*\.js$/.test(p)), 'the dashboards chunk');
  assert.ok(requested.some((p) => /\/assets\/echarts-.*\.js$/.test(p)), 'ECharts, for the charts');
  assert.equal(await page.getByRole('link', { name: 'Dashboards' }).getAttribute('aria-current'), 'page');
});

test('every dashboard opens without a console error; a screenshot of each', async () => {
  if (!page.url().includes('/dashboards')) await page.goto('/dashboards');
  for (const [key, tab] of Object.entries(TABS)) {
    await page.getByRole('tab', { name: tab.en, exact: true }).click();
    await page.getByRole('tab', { name: tab.en, exact: true, selected: true }).waitFor();
    await page.getByTestId(`dashboard-${key}`).waitFor();
    await tab.ready(page).waitFor();
    if (key === 'revenue') assert.doesNotMatch(page.url(), /tab=/);
    else assert.match(page.url(), new RegExp(`tab=${key}`));
    await page.waitForLoadState('networkidle');
    assert.equal(await hasHorizontalOverflow(page), false, `${key} overflows at 1280 px`);
    await env.screenshot(page, `dashboards-${key}`);
  }
  // Arrow keys move between the dashboards (WAI-ARIA tabs).
  await page.getByRole('tab', { name: 'Team', selected: true }).focus();
  await page.keyboard.press('ArrowLeft');
  await page.getByRole('tab', { name: 'Surveys', selected: true }).waitFor();
  await page.waitForURL(/tab=surveys/);
  env.assertNoConsoleErrors(page);
});

test('Revenue: MRR, ARR, the waterfall, NRR/GRR, churn and LTV equal the API', async () => {
  const mrr = await api('/api/v1/metrics/mrr');
  const mv = await api('/api/v1/metrics/movements');
  const ret = await api('/api/v1/metrics/retention');
  const churn = await api('/api/v1/metrics/churn');
  const ltv = await api('/api/v1/metrics/ltv');
  await page.goto('/dashboards');
  const end = mrr.data.at(-1);
  await page.getByTestId('kpi-mrr').filter({ hasText: yen(end.mrr) }).waitFor();
  assert.equal(await text(page.getByTestId('kpi-arr')), yen(end.arr));
  assert.equal(await text(page.getByTestId('kpi-customers')), end.customers.toLocaleString('en-US'));
  assert.equal(await text(page.getByTestId('kpi-nrr')), pct(ret.data.at(-1).nrr));
  assert.equal(await text(page.getByTestId('kpi-grr')), pct(ret.data.at(-1).grr));
  assert.equal(await text(page.getByTestId('kpi-logo-churn')), pct(churn.data.at(-1).logo_churn_rate, 2));
  assert.equal(await text(page.getByTestId('kpi-rev-churn')), pct(churn.data.at(-1).revenue_churn_rate, 2));
  assert.equal(await text(page.getByTestId('kpi-ltv')), ltv.ltv === null ? 'undefined' : yen(ltv.ltv));
  if (ltv.ltv === null) await page.getByTestId('ltv-note').waitFor();

  // The waterfall of a chosen month, in its table: start = the month before's MRR, end = the month's.
  const i = mv.data.length - 3;
  const m = mv.data[i];
  await page.getByTestId('movements-month').selectOption(m.month);
  await page.waitForURL(new RegExp(`month=${m.month}`));
  const table = page.getByTestId('table-waterfall');
  await table.locator('summary').click();
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));
  assert.deepEqual(rows, [
    ['Start MRR', yen(mv.data[i - 1].mrr)],
    ['New', `+${yen(m.new)}`], ['Expansion', `+${yen(m.expansion)}`], ['Reactivation', `+${yen(m.reactivation)}`],
    ['Contraction', `−${yen(m.contraction)}`], ['Churn', `−${yen(m.churn)}`],
    ['End MRR', yen(m.mrr)],
  ]);
  assert.equal(mv.data[i - 1].mrr + m.new + m.expansion + m.reactivation - m.contraction - m.churn, m.mrr, 'the bridge reconciles');
  env.assertNoConsoleErrors(page);
});

test('the other dashboards show the API\'s figures', async () => {
  const ren = await api('/api/v1/metrics/renewals?limit=500');
  await page.goto('/dashboards?tab=renewals');
  for (const w of ren.windows) {
    await page.getByTestId(`renewals-mrr-${w.days}`).filter({ hasText: yen(w.mrr) }).waitFor();
    assert.equal(await text(page.getByTestId(`renewals-risk-${w.days}`)), yen(w.at_risk_mrr));
  }
  const due90 = ren.data.filter((r) => r.days_until <= 90);
  const shown = await page.getByTestId('renewals-table').locator('tbody tr').count();
  assert.equal(shown, Math.min(25, due90.length));
  if (due90.length) assert.equal(await text(page.getByTestId('renewals-table').locator('tbody tr').first().locator('th')), due90[0].name);
  await page.getByTestId('renewals-within').selectOption('30');
  await page.waitForURL(/within=30/);
  const due30 = ren.data.filter((r) => r.days_until <= 30).length;
  if (due30 > 0) await page.waitForFunction((n) => document.querySelectorAll('[data-testid="renewals-table"] tbody tr').length === n, Math.min(25, due30));

  const j = await api('/api/v1/metrics/journey');
  await page.getByRole('tab', { name: 'Journey' }).click();
  await page.getByTestId('kpi-onb-rate').filter({ hasText: pct(j.onboarding.completion_rate) }).waitFor();
  // The funnel follows the phases the API returns, in its order.
  const funnel = page.getByTestId('table-funnel');
  await funnel.locator('summary').click();
  assert.equal(await funnel.locator('tbody tr').count(), j.funnel.length);
  assert.deepEqual(await funnel.locator('tbody tr td:first-of-type').allTextContents(), j.funnel.map((p) => p.accounts.toLocaleString('en-US')));
  assert.equal(await page.getByTestId('phases-table').locator('tbody tr').count(), j.phases.length);

  const s = await api('/api/v1/metrics/surveys');
  await page.getByRole('tab', { name: 'Surveys' }).click();
  await page.getByTestId('kpi-nps').filter({ hasText: s.total.nps.toLocaleString('en-US', { maximumFractionDigits: 1 }) }).waitFor();
  assert.equal(await text(page.getByTestId('kpi-csat')), pct(s.total.csat / 100));

  const h = await api('/api/v1/metrics/health');
  await page.getByRole('tab', { name: 'Health' }).click();
  for (const b of ['green', 'yellow', 'red', 'unscored']) {
    await page.getByTestId(`health-now-${b}`).filter({ hasText: new RegExp(`^${h.current[b].toLocaleString('en-US')}$`) }).waitFor();
  }

  const a = await api('/api/v1/metrics/activity');
  await page.getByRole('tab', { name: 'Team' }).click();
  await page.getByTestId('book-table').waitFor();
  assert.equal(await page.getByTestId('book-table').locator('tbody tr').count(), a.book.length);
  const sato = a.book.find((b) => b.owner_name === '佐藤 美咲');
  assert.match(await text(page.getByTestId('book-table').locator('tr', { hasText: '佐藤 美咲' })), new RegExp(yen(sato.mrr).replace(/[$^.]/g, '\\$&')));

  const c = await api('/api/v1/metrics/cohorts');
  await page.getByRole('tab', { name: 'Cohorts' }).click();
  const first = c.data.find((x) => x.customers > 0);
  const row = page.getByTestId('cohort-table').locator('tbody tr').nth(c.data.indexOf(first));
  await row.waitFor();
  assert.equal(await text(row.locator('td').nth(1 + first.months.length - 1)), pct(first.months.at(-1).logo_retention, 0));
  await page.getByTestId('cohort-revenue').check();
  await page.waitForURL(/cohort=revenue/);
  await row.locator('td').nth(1 + first.months.length - 1).filter({ hasText: pct(first.months.at(-1).revenue_retention, 0) }).waitFor();
  env.assertNoConsoleErrors(page);
});

test('filters change the figures and the URL, and a reload keeps them', async () => {
  const all = (await api('/api/v1/metrics/mrr')).data.at(-1).mrr;
  const high = (await api('/api/v1/metrics/mrr?tier=high')).data.at(-1).mrr;
  assert.notEqual(all, high, 'the demo has revenue outside high touch');
  await page.goto('/dashboards');
  await page.getByTestId('kpi-mrr').filter({ hasText: yen(all) }).waitFor();
  await page.getByTestId('dash-tier').selectOption('high');
  await page.waitForURL(/[?&]tier=high/);
  await page.getByTestId('kpi-mrr').filter({ hasText: yen(high) }).waitFor();

  // The months: from 2026-01-ish to the current month, here the 6 months ending now.
  const now = new Date().toISOString().slice(0, 7);
  const d = new Date(`${now}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() - 5);
  const from = d.toISOString().slice(0, 7);
  await page.getByTestId('dash-from').fill(from);
  await page.waitForURL(new RegExp(`from=${from}`));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="movements-month"] option').length === 6);
  const ltvHigh = await api(`/api/v1/metrics/ltv?tier=high&from=${from}`);
  await page.getByTestId('kpi-ltv').filter({ hasText: ltvHigh.ltv === null ? 'undefined' : yen(ltvHigh.ltv) }).waitFor();

  await page.reload();
  await page.getByTestId('kpi-mrr').filter({ hasText: yen(high) }).waitFor();
  assert.equal(await page.getByTestId('dash-tier').inputValue(), 'high');
  assert.equal(await page.getByTestId('dash-from').inputValue(), from);
  assert.equal(await page.locator('[data-testid="movements-month"] option').count(), 6);

  // The segment filter (segments from the API) and the owner filter, on the team's book.
  await page.getByTestId('dash-reset').click();
  await page.waitForURL((u) => u.search === '');
  await page.getByTestId('kpi-mrr').filter({ hasText: yen(all) }).waitFor();
  await page.getByTestId('dash-segment').selectOption(String(segment.id));
  await page.waitForURL(new RegExp(`segment=${segment.id}`));
  const seg = (await api(`/api/v1/metrics/mrr?segment=${segment.id}`)).data.at(-1).mrr;
  await page.getByTestId('kpi-mrr').filter({ hasText: yen(seg) }).waitFor();
  await page.getByTestId('dash-segment').selectOption('');
  await page.getByRole('tab', { name: 'Team' }).click();
  await page.getByTestId('dash-owner').selectOption({ label: '鈴木 健太' });
  await page.waitForURL(/owner=\d+/);
  const owner = new URL(page.url()).searchParams.get('owner');
  const book = (await api(`/api/v1/metrics/activity?owner=${owner}`)).book;
  assert.equal(book.length, 1);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="book-table"] tbody tr').length === 1);
  assert.match(await text(page.getByTestId('book-table').locator('tbody tr')), /鈴木 健太/);
  await page.reload();
  await page.getByRole('tab', { name: 'Team', selected: true }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="book-table"] tbody tr').length === 1);
  assert.equal(await page.getByTestId('dash-owner').inputValue(), owner);
  env.assertNoConsoleErrors(page);
});

test('a CSV link per table downloads that table', async () => {
  await page.goto('/dashboards?tier=low');
  const link = page.getByTestId('dash-movements').getByRole('link', { name: /CSV/ });
  const href = await link.getAttribute('href');
  assert.match(href, /^\/api\/v1\/metrics\/movements\?.*format=csv/);
  assert.match(href, /tier=low/);
  const r = await page.request.get(href);
  assert.equal(r.status(), 200);
  assert.match(r.headers()['content-type'], /^text\/csv/);
  assert.match(await r.text(), /^month,mrr,new,expansion,contraction,churn,reactivation\r\n/);
});

test('empty and error states', async () => {
  const p = await env.page();
  await env.login(p);
  await p.goto('/dashboards?from=2001-01&to=2001-12');
  await p.getByText('No revenue in this period for this selection.').first().waitFor();
  await p.goto('/dashboards?from=2026-05&to=2026-01');
  await p.getByRole('alert').filter({ hasText: '“From” is after “To”.' }).waitFor();
  assert.equal(await p.getByTestId('dash-from').getAttribute('aria-invalid'), 'true');
  // A segment that does not exist: the API's 400 names it, with a retry.
  await p.goto('/dashboards?tab=surveys&segment=999999');
  await p.getByRole('alert').filter({ hasText: /segment/ }).waitFor();
  await p.getByRole('button', { name: 'Retry' }).first().waitFor();
  await p.context().close();
});

test('Japanese labels and money formatted for Japan', async () => {
  const p = await env.page({ locale: 'ja-JP', lang: 'ja' });
  await env.login(p);
  await p.getByRole('link', { name: 'ダッシュボード' }).click();
  await p.getByRole('heading', { level: 1, name: 'ダッシュボード' }).waitFor();
  assert.equal(await p.getAttribute('html', 'lang'), 'ja');
  const end = (await api('/api/v1/metrics/mrr')).data.at(-1);
  await p.getByTestId('kpi-mrr').filter({ hasText: yen(end.mrr, 'ja-JP') }).waitFor();
  await p.getByRole('heading', { name: 'MRRの増減' }).waitFor();
  await p.getByRole('heading', { name: '顧客解約率と売上解約率' }).waitFor();
  await TABS.revenue.ready(p).waitFor();
  await p.waitForLoadState('networkidle');
  await env.screenshot(p, 'dashboards-ja-revenue');
  for (const [key, tab] of Object.entries(TABS)) {
    await p.getByRole('tab', { name: tab.ja, exact: true }).click();
    await tab.ready(p).waitFor();
  }
  await p.getByRole('tab', { name: '契約更新' }).click();
  await p.getByRole('heading', { name: '更新の予測' }).waitFor();
  await p.getByText('リスク').first().waitFor();
  await p.waitForLoadState('networkidle');
  await env.screenshot(p, 'dashboards-ja-renewals');
  env.assertNoConsoleErrors(p);
  await p.context().close();
});

test('390 × 844: every dashboard without horizontal page overflow', async () => {
  const p = await env.page({ width: 390, height: 844 });
  await env.login(p);
  for (const [key, tab] of Object.entries(TABS)) {
    await p.goto(`/dashboards${key === 'revenue' ? '' : `?tab=${key}`}`);
    await tab.ready(p).waitFor();
    await p.waitForLoadState('networkidle');
    assert.equal(await hasHorizontalOverflow(p), false, `${key} overflows at 390 px`);
    if (key === 'revenue' || key === 'cohorts') await env.screenshot(p, `dashboards-narrow-${key}`);
  }
  // The filters are labelled controls; every control on every dashboard has a name.
  for (const name of ['From', 'To', 'Owner', 'Tier', 'Segment']) await p.getByLabel(new RegExp(`^${name}`)).first().waitFor();
  for (const key of Object.keys(TABS)) {
    await p.goto(`/dashboards?tab=${key}`);
    await TABS[key].ready(p).waitFor();
    await p.waitForFunction(() => !document.querySelector('.state-loading'));
    assert.deepEqual(await unnamedControls(p), [], `${key}: controls without a name`);
  }
  // A chart keeps its own name for screen readers (ECharts would write its own).
  assert.equal(await p.getByTestId('chart-activity').getAttribute('aria-label'), 'Completed tasks and touches per CSM and week');
  env.assertNoConsoleErrors(p);
  await p.context().close();
});

test('a CSM gets the owners\' names without the users list (admins only)', async () => {
  // GET /api/v1/team comes with another branch; until then it is a 404 the page falls back from.
  const team = await env.srv.as(env.srv.admin).get('/api/v1/team');
  const p = await env.page();
  await env.login(p, 'sato@example.com');
  await p.goto('/dashboards?tab=renewals');
  await TABS.renewals.ready(p).waitFor();
  await p.getByTestId('dash-owner').locator('option', { hasText: '鈴木 健太' }).waitFor({ state: 'attached' });
  env.assertNoConsoleErrors(p, team.status === 404 ? [/status of 404/] : []);
  await p.context().close();
});

test('server stops cleanly', () => env.stop());
