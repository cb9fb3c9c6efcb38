// Every UI text key has an English and a Japanese text, in every feature's module, with the
// same {placeholders}; keys are unique across modules; t() fills placeholders and follows
// the chosen language, and <html lang> with it.
import { afterEach, describe, expect, test } from 'vitest';
import { lang, setLang, t } from '../src/i18n';
import type { Key } from '../src/i18n';

const modules = import.meta.glob<{ default: { en: Record<string, string>; ja: Record<string, string> } }>('../src/text/*.ts', { eager: true });

afterEach(() => setLang('en'));

test('the text modules are found', () => {
  const names = Object.keys(modules).map((p) => p.split('/').pop());
  expect(names).toEqual(expect.arrayContaining(['core.ts', 'segments.ts', 'playbooks.ts']));
});

for (const [path, mod] of Object.entries(modules)) {
  describe(path.split('/').pop()!, () => {
    const { en, ja } = mod.default;
    test('every key has en and ja, non-empty', () => {
      expect(Object.keys(ja).sort()).toEqual(Object.keys(en).sort());
      for (const k of Object.keys(en)) {
        expect(en[k].trim(), `en ${k}`).not.toBe('');
        expect(ja[k]?.trim(), `ja ${k}`).not.toBe('');
      }
    });
    test('the same placeholders in both languages', () => {
      const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const k of Object.keys(en)) expect(ph(ja[k]), k).toEqual(ph(en[k]));
    });
  });
}

test('keys are unique across modules (a later module would silently win)', () => {
  const seen = new Map<string, string>();
  for (const [path, mod] of Object.entries(modules)) {
    for (const k of Object.keys(mod.default.en)) {
      expect(seen.get(k), `${k} in ${path} and ${seen.get(k)}`).toBeUndefined();
      seen.set(k, path);
    }
  }
});

test('t() follows the language, fills placeholders, and <html lang> follows', () => {
  setLang('en');
  expect(t('segments.countN' as Key, { n: 12 })).toBe('12 accounts match');
  expect(document.documentElement.lang).toBe('en');
  setLang('ja');
  expect(lang()).toBe('ja');
  expect(t('segments.countN' as Key, { n: 12 })).toBe('12 社が該当');
  expect(t('nav.playbooks' as Key)).toBe('プレイブック');
  expect(document.documentElement.lang).toBe('ja');
  expect(localStorage.getItem('kizuna.lang')).toBe('ja');
});
