// The cockpit's text (GET /api/v1/cockpit): counts, why an account is at risk (red band,
// falling fast), renewals and the activity feed, in English and Japanese. The older cockpit
// keys (cockpit.title, cockpit.tasks ...) stay in core.ts.

const en = {
  'cockpit.summary': '{accounts} accounts · {open} open tasks · {overdue} overdue · {risk} at risk · {renewals} renewals in 90 days',
  'cockpit.reasonRed': 'Red band',
  'cockpit.reasonFalling': 'Falling fast',
  'cockpit.fell': 'down {n} points in 7 days (from {from})',
  'cockpit.weakest': 'Weakest: {component} {score}',
  'cockpit.comp.deployment': 'Deployment',
  'cockpit.comp.engagement': 'Engagement',
  'cockpit.comp.adoption': 'Adoption',
  'cockpit.comp.roi': 'ROI',
  'cockpit.arrLabel': 'ARR {amount}',
  'cockpit.trial': 'Trial',
  'cockpit.noAutoRenew': 'No auto-renewal',
  'cockpit.system': 'system',
  'cockpit.tasksCapped': 'Showing {shown} of {total} open tasks.',
  'cockpit.showAllActivity': 'Show all {n} entries',
};

const ja: Record<keyof typeof en, string> = {
  'cockpit.summary': '担当顧客 {accounts} 社 · 未完了タスク {open} 件 · 期限切れ {overdue} 件 · 要注意 {risk} 社 · 90 日以内の更新 {renewals} 件',
  'cockpit.reasonRed': 'レッド',
  'cockpit.reasonFalling': '急低下',
  'cockpit.fell': '7 日間で {n} ポイント低下 ({from} から)',
  'cockpit.weakest': '最も低い要素: {component} {score}',
  'cockpit.comp.deployment': '導入完了度',
  'cockpit.comp.engagement': '関係性',
  'cockpit.comp.adoption': '活用度',
  'cockpit.comp.roi': '費用対効果',
  'cockpit.arrLabel': 'ARR {amount}',
  'cockpit.trial': 'トライアル',
  'cockpit.noAutoRenew': '自動更新なし',
  'cockpit.system': 'システム',
  'cockpit.tasksCapped': '未完了タスク {total} 件のうち {shown} 件を表示しています。',
  'cockpit.showAllActivity': '活動をすべて表示 ({n} 件)',
};

export default { en, ja };
