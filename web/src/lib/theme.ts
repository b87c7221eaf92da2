/** Light and dark themes: the system preference unless the trader picked one. */

export type Theme = "light" | "dark";

const STORAGE_KEY = "swingdesk.theme";

/** Return the theme to show: a saved choice wins over the system preference. */
export function resolveTheme(saved: string | null, prefersDark: boolean): Theme {
  if (saved === "light" || saved === "dark") return saved;
  return prefersDark ? "dark" : "light";
}

/** Return the other theme. */
export function otherTheme(theme: Theme): Theme {
  return theme === "dark" ? "light" : "dark";
}

/** Return the saved theme choice, if any (a preference, not a secret: localStorage). */
export function loadThemeChoice(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Remember the trader's theme choice. */
export function saveThemeChoice(theme: Theme): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // storage disabled: the choice lasts until reload
  }
}

/** Say whether the system asks for dark colours. */
export function systemPrefersDark(): boolean {
  return typeof window.matchMedia === "function"
    ? window.matchMedia("(prefers-color-scheme: dark)").matches
    : false;
}
