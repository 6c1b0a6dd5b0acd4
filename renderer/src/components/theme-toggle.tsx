import { useEffect, useState } from 'react';

/*
 * The console's light and dark themes. With no choice stored the system's preference decides (styles.css's
 * prefers-color-scheme rule); the header's toggle stores a choice in localStorage and marks <html data-theme>, which
 * the stylesheet's tokens follow.
 */

export type Theme = 'light' | 'dark';
const storageKey = 'hearth.theme';

/** The theme chosen with the toggle, if any (storage can be unavailable: then none). */
export function storedTheme(): Theme | null {
  try {
    const value = window.localStorage.getItem(storageKey);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}

const systemTheme = (): Theme => (window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');

/** Marks <html> with the stored choice (before the first render, so a dark page never flashes light). */
export function applyStoredTheme(): void {
  const theme = storedTheme();
  if (theme === null) delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

/** A switch between the themes: pressed when dark. The choice is kept for the next visit. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(() => storedTheme() ?? systemTheme());
  useEffect(() => {
    // While no choice is stored, follow the system when it changes.
    const query = window.matchMedia?.('(prefers-color-scheme: dark)');
    if (query === undefined) return;
    const follow = () => {
      if (storedTheme() === null) setTheme(query.matches ? 'dark' : 'light');
    };
    query.addEventListener('change', follow);
    return () => query.removeEventListener('change', follow);
  }, []);
  const toggle = () => {
    const next: Theme = theme === 'dark' ? 'light' : 'dark';
    try {
      window.localStorage.setItem(storageKey, next);
    } catch {
      // Storage refused (a private window): the choice lasts for this page only.
    }
    document.documentElement.dataset.theme = next;
    setTheme(next);
  };
  return (
    <button type="button" className="theme-toggle" data-testid="theme-toggle" aria-pressed={theme === 'dark'} onClick={toggle}>
      Dark theme
    </button>
  );
}
