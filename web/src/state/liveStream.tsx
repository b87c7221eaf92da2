/**
 * The live stream connection: a short-lived token from POST /api/stream-token (EventSource
 * cannot send the X-API-Key header), an EventSource on /api/stream?token=..., and the
 * reducer in lib/stream.ts. The browser reconnects by itself and sends Last-Event-ID; when
 * the service refuses the reconnect (an expired token) a new token is fetched and the
 * stream resumes from the last id seen.
 */
import { useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import {
  createContext,
  useContext,
  useEffect,
  useReducer,
  useRef,
  type Dispatch,
  type ReactNode,
} from "react";

import { api, keys } from "../api/client";
import { ApiError } from "../lib/auth";
import {
  CONTROL_EVENTS,
  STREAM_TOPICS,
  auditItem,
  initialStreamState,
  insightItem,
  parseEventId,
  streamReducer,
  type FeedItem,
  type StreamAction,
  type StreamState,
} from "../lib/stream";
import { reportError } from "./notices";

const StreamContext = createContext<StreamState>(initialStreamState);

/** Return the live stream's state (status, feed, decision traces). */
export function useStreamState(): StreamState {
  return useContext(StreamContext);
}

const MAX_BACKOFF_MS = 30_000;

/** Refresh what an event can have changed (the portfolio itself arrives as an event). */
function onTopic(client: QueryClient, topic: string, data: unknown): void {
  switch (topic) {
    case "portfolio":
      client.setQueryData(keys.portfolio, data);
      void client.invalidateQueries({ queryKey: keys.risk });
      break;
    case "fill":
      void client.invalidateQueries({ queryKey: keys.ordersAll });
      void client.invalidateQueries({ queryKey: keys.journalAll });
      break;
    case "order_status":
      void client.invalidateQueries({ queryKey: keys.ordersAll });
      break;
    case "trading_state_changed":
      void client.invalidateQueries({ queryKey: keys.portfolio });
      void client.invalidateQueries({ queryKey: keys.risk });
      break;
    case "risk_rejected":
      void client.invalidateQueries({ queryKey: keys.risk });
      void client.invalidateQueries({ queryKey: keys.decisionsAll });
      break;
    case "signal_created":
    case "risk_approved":
      void client.invalidateQueries({ queryKey: keys.decisionsAll });
      break;
  }
}

function connect(
  client: QueryClient,
  dispatch: Dispatch<StreamAction>,
  lastId: () => number | null,
): () => void {
  let stopped = false;
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;

  const retryLater = (): void => {
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** failures);
    failures += 1;
    timer = setTimeout(() => void open(), delay);
  };

  const open = async (): Promise<void> => {
    if (stopped) return;
    dispatch({ type: "connecting" });
    let token: string;
    try {
      token = (await api.streamToken()).token;
    } catch (err) {
      if (stopped) return;
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        reportError(err);
        dispatch({ type: "error", willRetry: false }); // wait for a new key
        return;
      }
      dispatch({ type: "error", willRetry: true });
      retryLater();
      return;
    }
    if (stopped) return;
    const params = new URLSearchParams({ token });
    const after = lastId();
    if (after !== null) params.set("last_event_id", String(after));
    const es = new EventSource(`/api/stream?${params.toString()}`);
    source = es;
    es.onopen = () => {
      failures = 0;
      dispatch({ type: "open" });
    };
    es.onerror = () => {
      if (stopped) return;
      if (es.readyState === EventSource.CLOSED) {
        // Refused (e.g. the token expired before a reconnect): start over with a new token.
        es.close();
        dispatch({ type: "error", willRetry: true });
        retryLater();
      } else {
        dispatch({ type: "error", willRetry: true }); // the browser is reconnecting
      }
    };
    for (const topic of STREAM_TOPICS) {
      es.addEventListener(topic, (e: MessageEvent<string>) => {
        let data: unknown;
        try {
          data = JSON.parse(e.data);
        } catch {
          return; // a frame that is not JSON cannot be shown
        }
        dispatch({ type: "event", id: parseEventId(e.lastEventId), event: topic, data });
        onTopic(client, topic, data);
      });
    }
    for (const control of CONTROL_EVENTS) {
      es.addEventListener(control, () => {
        dispatch({ type: control });
        void client.invalidateQueries();
      });
    }
  };

  void open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}

/** Hold the stream for the whole app; `keyVersion` changes when the API key does. */
export function StreamProvider({
  keyVersion,
  children,
}: {
  keyVersion: number;
  children: ReactNode;
}) {
  const client = useQueryClient();
  const [state, dispatch] = useReducer(streamReducer, initialStreamState);
  const lastIdRef = useRef<number | null>(null);
  useEffect(() => {
    lastIdRef.current = state.lastEventId;
  }, [state.lastEventId]);

  useEffect(
    () => connect(client, dispatch, () => lastIdRef.current),
    [client, keyVersion],
  );

  // The feed starts with the recent journal and signals; the stream adds to it.
  const logs = useQuery({ queryKey: keys.logs, queryFn: () => api.logs(50) });
  const insights = useQuery({ queryKey: keys.insights, queryFn: () => api.insights(30) });
  useEffect(() => {
    const items: FeedItem[] = [];
    for (const a of logs.data?.items ?? []) {
      const item = auditItem(a);
      if (item) items.push(item);
    }
    for (const s of insights.data?.items ?? []) items.push(insightItem(s));
    if (items.length) dispatch({ type: "seed", items });
  }, [logs.data, insights.data]);

  return <StreamContext.Provider value={state}>{children}</StreamContext.Provider>;
}
