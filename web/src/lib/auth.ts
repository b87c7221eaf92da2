/**
 * The API key (kept in this browser tab's sessionStorage only, never in the bundle) and the
 * mapping from failed responses to what the dashboard tells the trader.
 */

const STORAGE_KEY = "swingdesk.apiKey";

export const AUTH_401_MESSAGE = "API key missing or wrong (401)";
export const AUTH_403_MESSAGE = "This key cannot trade (403)";

/** A failed API call: the HTTP status and the service's `{"error": {code, message}}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Build an ApiError from a response status and its parsed JSON body (any shape). */
export function apiErrorFrom(status: number, body: unknown, statusText = ""): ApiError {
  const err = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)
    ?.error;
  if (err && typeof err.code === "string") {
    const message = typeof err.message === "string" ? err.message : statusText;
    return new ApiError(status, err.code, message, err.details);
  }
  return new ApiError(status, `HTTP_${status}`, statusText || "unexpected response");
}

export type ErrorKind = "auth" | "app";

export interface ShownError {
  kind: ErrorKind;
  /** Stable error code (e.g. RATE_LIMITED, UNAUTHORIZED, NETWORK). */
  code: string;
  /** The sentence shown on screen. */
  text: string;
}

/** Map any thrown value to what the trader sees: auth problems apart from everything else. */
export function describeError(error: unknown): ShownError {
  if (error instanceof ApiError) {
    if (error.status === 401) return { kind: "auth", code: error.code, text: AUTH_401_MESSAGE };
    if (error.status === 403) return { kind: "auth", code: error.code, text: AUTH_403_MESSAGE };
    return { kind: "app", code: error.code, text: `${error.code}: ${error.message}` };
  }
  if (error instanceof TypeError) {
    // fetch rejects with a TypeError when the service cannot be reached at all.
    return { kind: "app", code: "NETWORK", text: "NETWORK: the service cannot be reached" };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "app", code: "CLIENT", text: `CLIENT: ${message}` };
}

/** Say whether a failed request is worth retrying (network trouble and 5xx, not 4xx). */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ApiError) return error.status >= 500 || error.status === 0;
  return error instanceof TypeError;
}

/**
 * Return a refetch interval that pauses polling while the key is refused (401/403): the
 * trader sees the notice once instead of a failed request every few seconds.
 */
export function pollUnlessRefused(ms: number): (query: { state: { error: unknown } }) => number | false {
  return ({ state }) =>
    state.error instanceof ApiError && (state.error.status === 401 || state.error.status === 403)
      ? false
      : ms;
}

/** Storage the key lives in; sessionStorage in the browser, injectable in tests. */
export interface KeyStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

function sessionStore(): KeyStorage | null {
  try {
    return typeof window !== "undefined" ? window.sessionStorage : null;
  } catch {
    return null; // storage can be disabled by the browser's privacy settings
  }
}

/** Return the API key saved for this tab, or null. */
export function loadApiKey(storage: KeyStorage | null = sessionStore()): string | null {
  const value = storage?.getItem(STORAGE_KEY)?.trim();
  return value ? value : null;
}

/** Save (or, with an empty value, forget) the API key for this tab only. */
export function saveApiKey(value: string, storage: KeyStorage | null = sessionStore()): void {
  const key = value.trim();
  if (!storage) return;
  if (key) storage.setItem(STORAGE_KEY, key);
  else storage.removeItem(STORAGE_KEY);
}
