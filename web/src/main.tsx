/** Entry point: the query client (errors go to the notices) and the app. */
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./App";
import { isRetryable } from "./lib/auth";
import { notices, reportError } from "./state/notices";
import "./styles.css";

const client = new QueryClient({
  queryCache: new QueryCache({
    onError: (error, query) => {
      if (!query.meta?.silent) reportError(error);
    },
    onSuccess: () => notices.dispatch({ type: "authOk", scope: "read" }),
  }),
  mutationCache: new MutationCache({
    onError: (error) => reportError(error),
    onSuccess: () => notices.dispatch({ type: "authOk", scope: "trade" }),
  }),
  defaultOptions: {
    queries: {
      retry: (count, error) => count < 2 && isRetryable(error),
      refetchOnWindowFocus: false,
      staleTime: 5_000,
    },
    mutations: { retry: false },
  },
});

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={client}>
        <App />
      </QueryClientProvider>
    </StrictMode>,
  );
}
