// The login page: email and password, errors read out, the language switch.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { User } from '../api';
import { t } from '../i18n';
import type { Lang } from '../i18n';
import { LangSwitch } from '../components';

export function Login({ expired, onLoggedIn, lang }: { expired: boolean; onLoggedIn: (u: User) => void; lang: Lang }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => { document.title = `${t('login.title')}`; }, [lang]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api.post<{ user: User }>('/api/v1/session', { email, password }, { quiet401: true });
      onLoggedIn(r.user);
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) setError(t('login.tooMany', { s: err.retryAfter ?? 60 }));
      else if (err instanceof ApiError && (err.status === 401 || err.status === 400)) setError(t('login.failed'));
      else setError(t('common.actionFailed', { msg: (err as Error).message }));
      setBusy(false);
    }
  };

  return (
    <main class="login" id="main">
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div class="login-head">
          <span class="brand-mark big" aria-hidden="true">絆</span>
          <div>
            <h1 id="login-title">{t('login.title')}</h1>
            <p class="muted">{t('login.subtitle')}</p>
          </div>
        </div>
        {expired && <p class="notice" role="status">{t('login.expired')}</p>}
        <label class="field">
          <span>{t('login.email')}</span>
          <input type="email" name="email" autocomplete="username" required data-testid="login-email"
            value={email} onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>{t('login.password')}</span>
          <input type="password" name="password" autocomplete="current-password" required data-testid="login-password"
            value={password} onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)} />
        </label>
        {error && <p class="form-error" role="alert">{error}</p>}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy} data-testid="login-submit">
          {busy ? t('login.busy') : t('login.submit')}
        </button>
        <div class="login-foot"><LangSwitch lang={lang} /></div>
      </form>
    </main>
  );
}
