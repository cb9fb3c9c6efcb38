// The health model editor's preview: how the bands would change under unsaved edits.

const en = {
  'hmp.title': 'Preview the band changes',
  'hmp.help': 'Scores every account under the saved model and under your edits, from the same data, without saving anything.',
  'hmp.run': 'Preview',
  'hmp.running': 'Scoring every account…',
  'hmp.stale': 'The model was edited after this preview. Preview again to update it.',
  'hmp.band': 'Band',
  'hmp.now': 'Saved model',
  'hmp.then': 'With your edits',
  'hmp.diff': 'Change',
  'hmp.table': 'Accounts per band, saved model and your edits',
  'hmp.summary': '{changed} of {n} accounts would change band.',
  'hmp.moves': 'Moves between bands',
  'hmp.move': '{from} → {to}: {n}',
  'hmp.examples': 'Accounts whose score moves most',
  'hmp.example': '{from} → {to}',
  'hmp.account': 'Account',
  'hmp.score': 'Score',
  'hmp.noChange': 'No account would change band or score.',
};

const ja: Record<keyof typeof en, string> = {
  'hmp.title': 'バンドの変化をプレビュー',
  'hmp.help': '保存済みのモデルと編集中のモデルで、同じデータからすべての顧客を採点します。何も保存しません。',
  'hmp.run': 'プレビュー',
  'hmp.running': 'すべての顧客を採点中…',
  'hmp.stale': 'このプレビューの後にモデルが編集されました。もう一度プレビューしてください。',
  'hmp.band': 'バンド',
  'hmp.now': '保存済みのモデル',
  'hmp.then': '編集後',
  'hmp.diff': '増減',
  'hmp.table': 'バンド別の顧客数（保存済みのモデルと編集後）',
  'hmp.summary': '{n}社のうち{changed}社のバンドが変わります。',
  'hmp.moves': 'バンド間の移動',
  'hmp.move': '{from} → {to}: {n}社',
  'hmp.examples': 'スコアの変化が大きい顧客',
  'hmp.example': '{from} → {to}',
  'hmp.account': '顧客',
  'hmp.score': 'スコア',
  'hmp.noChange': 'バンドもスコアも変わる顧客はありません。',
};

export default { en, ja };
