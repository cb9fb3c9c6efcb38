// /dashboards, code-split: the dashboards (and ECharts, when a chart draws) are fetched the
// first time the page opens, so that the app's initial JavaScript stays small.
import { useEffect, useState } from 'preact/hooks';
import { ErrorBox, Loading } from '../components';
import { t } from '../i18n';

type Mod = typeof import('./DashboardsPage');
let loading: Promise<Mod> | null = null;
const load = () => (loading ??= import('./DashboardsPage').catch((e) => { loading = null; throw e; }));

export function Dashboards() {
  const [mod, setMod] = useState<Mod | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let dead = false;
    load().then((m) => { if (!dead) setMod(m); }, (e) => { if (!dead) setErr(e); });
    return () => { dead = true; };
  }, [attempt]);
  if (err) return <section class="page"><ErrorBox error={err} retry={() => { setErr(null); setAttempt((n) => n + 1); }} /></section>;
  if (!mod) return <section class="page"><Loading label={t('dash.loading')} /></section>;
  return <mod.DashboardsPage />;
}
