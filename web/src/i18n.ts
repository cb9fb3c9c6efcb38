// Japanese and English UI text. The language comes from the browser on the first visit,
// can be switched in the header, and is remembered in localStorage; <html lang> follows it.
// Terms follow the seeds (ヘルススコア, 導入期, 定着期, ハイタッチ ...).
import { useEffect, useState } from 'preact/hooks';
import core from './text/core';
import cockpit from './text/cockpit';
import dashboards from './text/dashboards';
import email from './text/email';
import health from './text/health';
import playbooks from './text/playbooks';
import segments from './text/segments';

export type Lang = 'ja' | 'en';
const KEY = 'kizuna.lang';

// Every feature's text module, merged; a key must be unique across modules.
const en = { ...core.en, ...cockpit.en, ...dashboards.en, ...email.en, ...health.en, ...playbooks.en, ...segments.en };
export type Key = keyof typeof en;
const ja: Record<Key, string> = { ...core.ja, ...cockpit.ja, ...dashboards.ja, ...email.ja, ...health.ja, ...playbooks.ja, ...segments.ja };

const dicts: Record<Lang, Record<Key, string>> = { en, ja };

function initial(): Lang {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === 'ja' || saved === 'en') return saved;
  } catch { /* storage blocked */ }
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const l of langs) {
    if (/^ja\b/i.test(l)) return 'ja';
    if (/^en\b/i.test(l)) return 'en';
  }
  return 'en';
}

let current: Lang = initial();
const listeners = new Set<(l: Lang) => void>();
document.documentElement.lang = current;

export const lang = () => current;
export const locale = () => (current === 'ja' ? 'ja-JP' : 'en-US');

export function setLang(l: Lang) {
  if (l === current) return;
  current = l;
  try { localStorage.setItem(KEY, l); } catch { /* storage blocked */ }
  document.documentElement.lang = l;
  for (const f of listeners) f(l);
}

/** The text for key in the current language, with {name} placeholders filled. */
export function t(key: Key, params?: Record<string, string | number>): string {
  let s = dicts[current][key] ?? en[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

/** Re-renders the calling component when the language changes; returns the language. */
export function useLang(): Lang {
  const [l, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    return () => { listeners.delete(set); };
  }, []);
  return l;
}
