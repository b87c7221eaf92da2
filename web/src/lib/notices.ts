/**
 * What the dashboard tells the trader about failures: one authentication notice (401/403)
 * and a short list of other errors as toasts, the same error shown once.
 */
import type { ShownError } from "./auth";

export interface Toast {
  id: number;
  code: string;
  text: string;
}

export interface NoticeState {
  auth: ShownError | null;
  toasts: Toast[];
  nextId: number;
}

export type NoticeAction =
  | { type: "report"; error: ShownError }
  | { type: "authOk"; scope: "read" | "trade" }
  | { type: "dismiss"; id: number }
  | { type: "dismissAuth" };

export const MAX_TOASTS = 3;

export const initialNotices: NoticeState = { auth: null, toasts: [], nextId: 1 };

/** The notices reducer. */
export function noticeReducer(state: NoticeState, action: NoticeAction): NoticeState {
  switch (action.type) {
    case "report": {
      const { error } = action;
      if (error.kind === "auth") {
        // A 401 (no read access) outranks a 403 (no trade access) until it is fixed.
        if (state.auth?.text === error.text) return state;
        if (state.auth && state.auth.text.includes("401") && error.text.includes("403")) {
          return state;
        }
        return { ...state, auth: error };
      }
      if (state.toasts.some((t) => t.text === error.text)) return state;
      const toasts = [...state.toasts, { id: state.nextId, code: error.code, text: error.text }];
      return { ...state, toasts: toasts.slice(-MAX_TOASTS), nextId: state.nextId + 1 };
    }
    case "authOk": {
      // A successful read clears "missing or wrong key"; only a successful trade clears 403.
      if (!state.auth) return state;
      const is401 = state.auth.text.includes("401");
      if (is401 || action.scope === "trade") return { ...state, auth: null };
      return state;
    }
    case "dismiss":
      return { ...state, toasts: state.toasts.filter((t) => t.id !== action.id) };
    case "dismissAuth":
      return { ...state, auth: null };
  }
}
