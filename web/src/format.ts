// Dates, numbers and money with Intl in the chosen locale. Money arrives as integer minor
// units with an ISO 4217 currency: the currency's own number of decimals converts it.
import { locale, t } from './i18n';

const none = () => t('common.none');

export function fmtNumber(n: number | null | undefined, opts?: Intl.NumberFormatOptions): string {
  if (n === null || n === undefined || Number.isNaN(n)) return none();
  return new Intl.NumberFormat(locale(), opts).format(n);
}

export function fmtPercent(x: number | null | undefined): string {
  if (x === null || x === undefined) return none();
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(x);
}

const digitsCache = new Map<string, number>();
function currencyDigits(cur: string): number {
  let d = digitsCache.get(cur);
  if (d === undefined) {
    try {
      d = new Intl.NumberFormat('en', { style: 'currency', currency: cur }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch { d = 2; }
    digitsCache.set(cur, d);
  }
  return d;
}

/** Money from minor units: 1200000 JPY → ￥1,200,000; 150000 USD → $1,500. */
export function fmtMoney(minor: number | null | undefined, currency: string | null | undefined, compact = false): string {
  if (minor === null || minor === undefined || !currency) return none();
  const value = minor / 10 ** currencyDigits(currency);
  try {
    return new Intl.NumberFormat(locale(), {
      style: 'currency', currency, maximumFractionDigits: compact ? 1 : currencyDigits(currency),
      ...(compact ? { notation: 'compact' as const } : {}),
    }).format(value);
  } catch {
    return `${fmtNumber(value)} ${currency}`;
  }
}

/** "2026-11-23" (a calendar date, no time zone) in the locale's medium form. */
export function fmtDate(d: string | null | undefined): string {
  if (!d) return none();
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(d);
  if (!m) return d;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

/** An RFC 3339 instant in the user's time zone. */
export function fmtDateTime(ts: string | null | undefined): string {
  if (!ts) return none();
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** "3 days ago" / "in 5 days" / "today" for an instant or a date. */
export function fmtRelative(ts: string | null | undefined): string {
  if (!ts) return none();
  const d = new Date(ts.length === 10 ? `${ts}T00:00:00Z` : ts);
  if (Number.isNaN(d.getTime())) return ts;
  const days = Math.round((d.getTime() - Date.now()) / 86400000);
  return new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' }).format(days, 'day');
}

/** Today as YYYY-MM-DD in UTC (the server's dates are UTC days). */
export function todayISO(): string {
  return new Date().toISOString().slice(0, 10);
}

export function addDaysISO(iso: string, n: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Whole days from today (UTC) to the date iso; negative when past. */
export function daysUntil(iso: string): number {
  return Math.round((Date.parse(`${iso}T00:00:00Z`) - Date.parse(`${todayISO()}T00:00:00Z`)) / 86400000);
}
