/** The operator's hub token: taken from `?token=` once, kept in localStorage, never left in the address bar. */

const KEY = "agenthub.token";

export function adoptTokenFromUrl(): void {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  if (token === null) return;
  if (token) localStorage.setItem(KEY, token);
  url.searchParams.delete("token");
  window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
}

export function getToken(): string | null {
  return localStorage.getItem(KEY);
}

export function setToken(token: string): void {
  localStorage.setItem(KEY, token.trim());
}

export function clearToken(): void {
  localStorage.removeItem(KEY);
  sessionStorage.removeItem(OPEN);
}

const OPEN = "agenthub.open";

/** The user chose to go on without a token (a hub started with `--open`). */
export function isOpenHub(): boolean {
  return sessionStorage.getItem(OPEN) === "1";
}

export function goWithoutToken(): void {
  sessionStorage.setItem(OPEN, "1");
}
