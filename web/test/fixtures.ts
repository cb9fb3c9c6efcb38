// A FieldsInfo as GET /api/v1/segments/fields answers it (a subset of the fields, the same
// shapes), for the filter-tree tests.
import type { FieldsInfo } from '../src/segments/filterTree';

const TEXT = ['eq', 'ne', 'in', 'contains', 'is_null'];
const ENUM = ['eq', 'ne', 'in', 'is_null'];
const INT = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'is_null'];
const DATE = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'within_days', 'is_null'];

export const INFO: FieldsInfo = {
  ops: ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'contains', 'within_days', 'is_null'],
  fields: [
    { name: 'name', type: 'text', ops: TEXT },
    { name: 'industry', type: 'text', ops: TEXT },
    { name: 'phase', type: 'text', ops: TEXT, values: ['onboarding', 'adoption', 'expansion', 'churned'],
      value_labels: { onboarding: { ja: '導入期', en: 'Onboarding' }, adoption: { ja: '定着期', en: 'Adoption' },
        expansion: { ja: '拡大・更新期', en: 'Expansion' }, churned: { ja: '解約', en: 'Churned' } } },
    { name: 'tier', type: 'enum', ops: ENUM, values: ['high', 'low', 'tech'] },
    { name: 'band', type: 'enum', ops: ENUM, values: ['green', 'yellow', 'red'] },
    { name: 'owner', type: 'integer', ops: INT, min: 1, max: Number.MAX_SAFE_INTEGER },
    { name: 'health', type: 'integer', ops: INT, min: 0, max: 100 },
    { name: 'nps', type: 'integer', ops: INT, min: 0, max: 10 },
    { name: 'auto_renew', type: 'boolean', ops: ['eq', 'ne', 'is_null'] },
    { name: 'renewal_date', type: 'date', ops: DATE, within_days: 'next' },
    { name: 'created_at', type: 'date', ops: DATE, within_days: 'last' },
    { name: 'last_seen', type: 'days_since', ops: DATE, min: 0, max: 36500 },
  ],
  custom: { prefix: 'custom.', type: 'custom', ops: ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'contains', 'is_null'], key_max: 100 },
  limits: { depth: 8, conditions: 100, nodes: 400, in_values: 100, text_bytes: 500, days_max: 36500 },
};
