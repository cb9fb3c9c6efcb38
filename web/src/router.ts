// A small history router: the current location as state, navigate(), and a click handler
// for links that keeps modified clicks (new tab) to the browser.
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

export function navigate(to: string, replace = false) {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', to); else history.pushState(null, '', to);
  for (const f of listeners) f();
  if (!replace) window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => { for (const f of listeners) f(); });

export function useLocation(): { path: string; search: URLSearchParams; href: string } {
  const [, force] = useState(0);
  useEffect(() => {
    const f = () => force((n) => n + 1);
    listeners.add(f);
    return () => { listeners.delete(f); };
  }, []);
  return { path: location.pathname, search: new URLSearchParams(location.search), href: location.pathname + location.search };
}

/** onClick for an <a href>: client-side navigation for a plain left click. */
export function linkClick(e: MouseEvent) {
  const a = e.currentTarget as HTMLAnchorElement;
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.target && a.target !== '_self') return;
  if (a.origin !== location.origin) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
}
