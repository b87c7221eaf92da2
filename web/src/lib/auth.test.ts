import { describe, expect, it } from "vitest";

import {
  AUTH_401_MESSAGE,
  AUTH_403_MESSAGE,
  ApiError,
  apiErrorFrom,
  describeError,
  isRetryable,
  loadApiKey,
  pollUnlessRefused,
  saveApiKey,
  type KeyStorage,
} from "./auth";
import { initialNotices, noticeReducer } from "./notices";

function memoryStorage(): KeyStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

describe("error mapping", () => {
  it("reads the service's error envelope", () => {
    const err = apiErrorFrom(429, {
      error: { code: "RATE_LIMITED", message: "cooldown", details: { ticker: "MSFT" } },
    });
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(429);
    expect(err.code).toBe("RATE_LIMITED");
    expect(err.message).toBe("cooldown");
    expect(err.details).toEqual({ ticker: "MSFT" });
  });

  it("falls back to the status when the body is not the envelope", () => {
    const err = apiErrorFrom(502, "<html>bad gateway</html>", "Bad Gateway");
    expect(err.code).toBe("HTTP_502");
    expect(err.message).toBe("Bad Gateway");
  });

  it("maps 401 and 403 to the auth messages and everything else to code and message", () => {
    const e401 = describeError(new ApiError(401, "UNAUTHORIZED", "wrong X-API-Key"));
    expect(e401).toEqual({ kind: "auth", code: "UNAUTHORIZED", text: AUTH_401_MESSAGE });
    expect(e401.text).toContain("401");
    const e403 = describeError(new ApiError(403, "FORBIDDEN", "needs trade"));
    expect(e403.text).toBe(AUTH_403_MESSAGE);
    expect(e403.text).toContain("403");
    const other = describeError(new ApiError(422, "INVALID_TICKER", "no such ticker: ZZZZ"));
    expect(other).toEqual({
      kind: "app",
      code: "INVALID_TICKER",
      text: "INVALID_TICKER: no such ticker: ZZZZ",
    });
  });

  it("calls an unreachable service a network error", () => {
    expect(describeError(new TypeError("Failed to fetch")).code).toBe("NETWORK");
  });

  it("retries network trouble and 5xx but never 4xx", () => {
    expect(isRetryable(new TypeError("Failed to fetch"))).toBe(true);
    expect(isRetryable(new ApiError(503, "TEMPORARY", "later"))).toBe(true);
    expect(isRetryable(new ApiError(401, "UNAUTHORIZED", "no"))).toBe(false);
    expect(isRetryable(new ApiError(429, "RATE_LIMITED", "slow"))).toBe(false);
  });
});

describe("key storage", () => {
  it("saves a trimmed key and forgets it when saved empty", () => {
    const store = memoryStorage();
    expect(loadApiKey(store)).toBeNull();
    saveApiKey("  s3cret-key-value  ", store);
    expect(loadApiKey(store)).toBe("s3cret-key-value");
    saveApiKey("", store);
    expect(loadApiKey(store)).toBeNull();
    expect(store.data.size).toBe(0);
  });

  it("uses sessionStorage in the browser, not localStorage", () => {
    saveApiKey("tab-only-key-123");
    expect(window.sessionStorage.getItem("swingdesk.apiKey")).toBe("tab-only-key-123");
    expect(window.localStorage.getItem("swingdesk.apiKey")).toBeNull();
    saveApiKey("");
  });
});

describe("notices", () => {
  const e401 = describeError(new ApiError(401, "UNAUTHORIZED", "wrong"));
  const e403 = describeError(new ApiError(403, "FORBIDDEN", "read key"));

  it("keeps one auth notice; a 401 is not replaced by a 403", () => {
    let s = noticeReducer(initialNotices, { type: "report", error: e401 });
    s = noticeReducer(s, { type: "report", error: e403 });
    expect(s.auth?.text).toBe(AUTH_401_MESSAGE);
    expect(s.toasts).toHaveLength(0);
  });

  it("clears a 401 after a successful read but a 403 only after a successful trade", () => {
    let s = noticeReducer(initialNotices, { type: "report", error: e401 });
    s = noticeReducer(s, { type: "authOk", scope: "read" });
    expect(s.auth).toBeNull();
    s = noticeReducer(s, { type: "report", error: e403 });
    s = noticeReducer(s, { type: "authOk", scope: "read" });
    expect(s.auth?.text).toBe(AUTH_403_MESSAGE);
    s = noticeReducer(s, { type: "authOk", scope: "trade" });
    expect(s.auth).toBeNull();
  });

  it("shows each other error once and at most three at a time", () => {
    let s = initialNotices;
    for (const code of ["A", "B", "B", "C", "D"]) {
      s = noticeReducer(s, {
        type: "report",
        error: describeError(new ApiError(500, code, "boom")),
      });
    }
    expect(s.toasts.map((t) => t.code)).toEqual(["B", "C", "D"]);
    s = noticeReducer(s, { type: "dismiss", id: s.toasts[0]!.id });
    expect(s.toasts.map((t) => t.code)).toEqual(["C", "D"]);
  });
});

describe("polling", () => {
  it("pauses while the key is refused and polls otherwise", () => {
    const poll = pollUnlessRefused(15_000);
    expect(poll({ state: { error: null } })).toBe(15_000);
    expect(poll({ state: { error: new ApiError(503, "TEMPORARY", "later") } })).toBe(15_000);
    expect(poll({ state: { error: new ApiError(401, "UNAUTHORIZED", "wrong") } })).toBe(false);
    expect(poll({ state: { error: new ApiError(403, "FORBIDDEN", "read key") } })).toBe(false);
  });
});
