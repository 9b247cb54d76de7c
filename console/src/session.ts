/** The supervisor's bearer token, kept for this browser tab only (sessionStorage: gone when the tab closes). */
const KEY = 'wms-console-token';

export function storedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/** A pasted token may come with its scheme; the API wants the bare token after `Bearer `. */
export function normalizeToken(input: string): string {
  return input.trim().replace(/^Bearer\s+/i, '');
}

/** The claims the console shows (who is signed in, until when); the service verifies the token, not this. */
export function tokenClaims(token: string): { sub?: string; exp?: number; scope?: string } {
  try {
    const payload = token.split('.')[1] ?? '';
    return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: string; exp?: number; scope?: string };
  } catch {
    return {};
  }
}

/** What the service put in the page: whether its local dev sign-in exists, and this response's style nonce. */
export function pageMeta(name: 'csp-nonce' | 'wms-dev-sign-in'): string | undefined {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content;
}
