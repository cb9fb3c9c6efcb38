// format.ts: numbers, money in minor units by the currency's own decimals, dates as calendar
// days (no time-zone shift), and day arithmetic in UTC, in English and Japanese.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { addDaysISO, daysUntil, fmtDate, fmtMoney, fmtNumber, fmtPercent, todayISO } from '../src/format';
import { setLang } from '../src/i18n';

afterEach(() => { setLang('en'); vi.useRealTimers(); });

describe('en', () => {
  test('numbers and percentages', () => {
    expect(fmtNumber(1234567)).toBe('1,234,567');
    expect(fmtNumber(null)).toBe('—');
    expect(fmtNumber(Number.NaN)).toBe('—');
    expect(fmtPercent(0.256)).toBe('26%');
    expect(fmtPercent(undefined)).toBe('—');
  });
  test('money from minor units', () => {
    expect(fmtMoney(1200000, 'JPY')).toBe('¥1,200,000');
    expect(fmtMoney(150000, 'USD')).toBe('$1,500.00');
    expect(fmtMoney(123456, 'KWD')).toMatch(/^KWD\s123\.456$/); // three decimals
    expect(fmtMoney(100, null)).toBe('—');
    expect(fmtMoney(150000000, 'USD', true)).toBe('$1.5M');
  });
  test('dates are calendar days', () => {
    expect(fmtDate('2026-11-23')).toBe('Nov 23, 2026');
    expect(fmtDate('2026-01-01T23:30:00Z')).toBe('Jan 1, 2026');
    expect(fmtDate(null)).toBe('—');
    expect(fmtDate('not a date')).toBe('not a date');
  });
});

test('ja', () => {
  setLang('ja');
  expect(fmtNumber(1234567)).toBe('1,234,567');
  expect(fmtMoney(1200000, 'JPY')).toBe('￥1,200,000');
  expect(fmtDate('2026-11-23')).toBe('2026/11/23');
});

test('day arithmetic in UTC', () => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-03-31T23:59:00Z'));
  expect(todayISO()).toBe('2026-03-31');
  expect(addDaysISO('2026-03-31', 1)).toBe('2026-04-01');
  expect(addDaysISO('2024-02-28', 1)).toBe('2024-02-29');
  expect(addDaysISO('2026-01-10', -10)).toBe('2025-12-31');
  expect(daysUntil('2026-04-30')).toBe(30);
  expect(daysUntil('2026-03-30')).toBe(-1);
});
