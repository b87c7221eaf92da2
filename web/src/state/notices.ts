/** The app-wide notices store, fed by every failed query or mutation. */
import { describeError } from "../lib/auth";
import { initialNotices, noticeReducer, type NoticeAction, type NoticeState } from "../lib/notices";
import { createStore } from "./store";

export const notices = createStore<NoticeState, NoticeAction>(noticeReducer, initialNotices);

/** Show a failure to the trader (auth notice or toast). */
export function reportError(error: unknown): void {
  notices.dispatch({ type: "report", error: describeError(error) });
}
