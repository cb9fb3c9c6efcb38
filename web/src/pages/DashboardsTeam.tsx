// Team dashboard: the CSMs' key actions (KAI) per week, tasks completed and touches logged by
// type, and each owner's book of business now (accounts, paying, MRR, ARR).
import { Chart, PALETTE } from '../charts/Chart';
import type { ChartOption } from '../charts/Chart';
import { fmtDate, fmtNumber } from '../format';
import { t } from '../i18n';
import type { Key } from '../i18n';
import { Card, csvUrl, DataTable, MetricView, money, Table, useMetric, useOwners } from './DashboardsShared';
import type { Filters, RevenueBase } from './DashboardsShared';

const TASKS = ['call', 'meeting', 'email', 'review', 'other'] as const;
const TOUCHES = ['note', 'meeting', 'call', 'email', 'ticket', 'handoff'] as const;
type Row = { user_id: number; user_name: string | null; week: string; tasks_total: number; touches_total: number } & Record<string, number | string | null>;
interface Book { owner_id: number | null; owner_name: string | null; accounts: number; paying_accounts: number; mrr: number; arr: number }
interface Reply extends RevenueBase { book: Book[]; data: Row[] }

export function Team({ f }: { f: Filters }) {
  const s = useMetric<Reply>('activity', f);
  const owners = useOwners();
  return (
    <div class="dash-grid dash-one">
      <Card id="activity" title={t('dash.activityTitle')} testid="dash-activity" csv={[{ href: csvUrl('activity', f), name: t('dash.activityTitle') }]}>
        <MetricView state={s} empty={t('dash.activityEmpty')} isEmpty={(d) => d.data.length === 0}>
          {(d) => {
            const weeks = [...new Set(d.data.map((r) => r.week))].sort();
            const users = [...new Set(d.data.map((r) => r.user_id))];
            const nameOf = (id: number) => owners.name(id, d.data.find((r) => r.user_id === id)?.user_name);
            const byKey = new Map(d.data.map((r) => [`${r.user_id}|${r.week}`, r]));
            const option: ChartOption = {
              grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
              tooltip: { trigger: 'axis' },
              legend: { top: 0, type: 'scroll' },
              xAxis: { type: 'category', data: weeks.map((w) => fmtDate(w)) },
              yAxis: { type: 'value', minInterval: 1 },
              series: users.map((u, i) => ({
                name: nameOf(u), type: 'line', symbol: ['circle', 'rect', 'triangle', 'diamond', 'pin', 'arrow'][i % 6], symbolSize: 6,
                itemStyle: { color: PALETTE[i % PALETTE.length] },
                data: weeks.map((w) => { const r = byKey.get(`${u}|${w}`); return r ? r.tasks_total + r.touches_total : 0; }),
              })),
            };
            // Per CSM over the period: tasks by type and touches by type.
            const sum = (u: number, k: string) => d.data.filter((r) => r.user_id === u).reduce((n, r) => n + Number(r[k] ?? 0), 0);
            return (
              <>
                <Chart option={option} label={t('dash.activityLabel')} testid="chart-activity" />
                <Table caption={t('dash.activityTitle')} testid="activity-table"
                  cols={[{ label: t('dash.csm') }, ...TASKS.map((k) => ({ label: `${t('dash.tasksDone')}: ${t(`task.${k}` as Key)}`, num: true })), { label: t('dash.tasksDone'), num: true },
                    ...TOUCHES.map((k) => ({ label: `${t('dash.touches')}: ${t(`tl.${k}` as Key)}`, num: true })), { label: t('dash.touches'), num: true }]}
                  rows={users.map((u) => [nameOf(u), ...TASKS.map((k) => fmtNumber(sum(u, `tasks_${k}`))), <strong>{fmtNumber(sum(u, 'tasks_total'))}</strong>,
                    ...TOUCHES.map((k) => fmtNumber(sum(u, `touches_${k}`))), <strong>{fmtNumber(sum(u, 'touches_total'))}</strong>])} />
                <DataTable caption={t('dash.activityLabel')} testid="table-activity"
                  cols={[{ label: t('dash.week') }, { label: t('dash.csm') }, { label: t('dash.tasksDone'), num: true }, { label: t('dash.touches'), num: true }]}
                  rows={d.data.map((r) => [fmtDate(r.week), nameOf(r.user_id), fmtNumber(r.tasks_total), fmtNumber(r.touches_total)])} />
              </>
            );
          }}
        </MetricView>
      </Card>
      <Card id="book" title={t('dash.book')} testid="dash-book" csv={[{ href: csvUrl('activity', f, 'book'), name: t('dash.book') }]}>
        <MetricView state={s} empty={t('dash.bookEmpty')} isEmpty={(d) => d.book.length === 0}>
          {(d) => (
            <Table caption={t('dash.book')} testid="book-table"
              cols={[{ label: t('dash.owner') }, { label: t('dash.accounts'), num: true }, { label: t('dash.paying'), num: true }, { label: t('dash.mrr'), num: true }, { label: t('dash.arr'), num: true }]}
              rows={d.book.map((b) => [owners.name(b.owner_id, b.owner_name), fmtNumber(b.accounts), fmtNumber(b.paying_accounts), money(b.mrr, d.currency), money(b.arr, d.currency)])} />
          )}
        </MetricView>
      </Card>
    </div>
  );
}
