// A page fetched as its own chunk the first time it is shown (the segment and playbook
// editors), so that the initial JavaScript stays small: loading and error states while the
// chunk comes, then the page.
import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorBox, Loading } from './components';

export function lazyPage(load: () => Promise<FunctionComponent>): FunctionComponent {
  let loaded: FunctionComponent | null = null;
  let pending: Promise<FunctionComponent> | null = null;
  return function LazyPage() {
    const [, setReady] = useState(0);
    const [error, setError] = useState<unknown>(null);
    const fetchIt = () => {
      setError(null);
      pending ??= load().then((c) => (loaded = c), (e) => { pending = null; throw e; });
      pending.then(() => setReady((n) => n + 1), setError);
    };
    useEffect(() => { if (!loaded) fetchIt(); }, []);
    if (loaded) { const Page = loaded; return <Page />; }
    if (error) return <section class="page"><ErrorBox error={error} retry={fetchIt} /></section>;
    return <section class="page"><Loading /></section>;
  };
}
