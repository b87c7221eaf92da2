/**
 * The typed API client: generated types (schema.d.ts from the service's OpenAPI) plus
 * openapi-fetch. Every call sends the tab's API key, if any, and throws ApiError on failure.
 */
import createClient, { type Middleware } from "openapi-fetch";

import { ApiError, apiErrorFrom, loadApiKey } from "../lib/auth";
import type { components, paths } from "./schema";

type Schemas = components["schemas"];
export type Portfolio = Schemas["Portfolio"];
export type Position = Schemas["PositionOut"];
export type Risk = Schemas["RiskOut"];
export type Exposure = Schemas["Exposure"];
export type EquityHistory = Schemas["EquityHistory"];
export type Order = Schemas["OrderOut"];
export type AuditEntry = Schemas["AuditEntry"];
export type Insight = Schemas["Insight"];
export type Quote = Schemas["Quote"];
export type Movers = Schemas["Movers"];
export type MarketHistory = Schemas["MarketHistory"];
export type Bar = Schemas["Bar"];
export type News = Schemas["NewsOut"];
export type Headline = Schemas["HeadlineOut"];
export type Sentiment = Schemas["SentimentOut"];
export type FundamentalsResponse = Schemas["FundamentalsResponse"];
export type Fundamentals = Schemas["FundamentalsOut"];
export type MarketContext = Schemas["MarketContextOut"];
export type DecisionSummary = Schemas["DecisionSummary"];
export type DecisionRecord = Schemas["DecisionRecord"];
export type ScanResult = Schemas["ScanResult"];
export type TradingStateChange = Schemas["TradingStateOut"];
export type BacktestRequest = Schemas["BacktestRequest"];
export type BacktestRun = Schemas["BacktestRunOut"];
export type BacktestRunDetail = Schemas["BacktestRunDetail"];
export type BacktestRunsPage = Schemas["BacktestRunsPage"];
export type BacktestSummary = Schemas["BacktestSummary"];
export type OptimizationRequest = Schemas["OptimizationRequest"];
export type OptimizationRun = Schemas["OptimizationRunOut"];
export type OptimizationRunDetail = Schemas["OptimizationRunDetail"];
export type OptimizationRunsPage = Schemas["OptimizationRunsPage"];
export type DecisionRow = Schemas["DecisionRow"];
export type DecisionsPage = Schemas["DecisionsPage"];
export type Journal = Schemas["JournalOut"];
export type Trip = Schemas["TripOut"];
export type Tally = Schemas["Tally"];
export type DayPnl = Schemas["DayPnl"];
export type OrdersPage = Schemas["OrdersPage"];
export type Watchlist = Schemas["Watchlist"];
export type TickerInfo = Schemas["TickerInfo"];
export type DeskSettings = Schemas["SettingsOut"];
export type ManualClose = Schemas["ManualCloseRequest"];
export type ManualStop = Schemas["ManualStopRequest"];
export type ManualCancel = Schemas["ManualCancelRequest"];
export type DecisionQuery = NonNullable<paths["/api/decisions"]["get"]["parameters"]["query"]>;
export type OrdersQuery = NonNullable<paths["/api/orders"]["get"]["parameters"]["query"]>;
export type Config = Schemas["ConfigOut"] & {
  market_provider?: string;
  broker?: string;
  strategy_provider?: string;
};

const withKey: Middleware = {
  onRequest({ request }) {
    const key = loadApiKey();
    if (key) request.headers.set("X-API-Key", key);
    return request;
  },
};

const client = createClient<paths>({ baseUrl: "" });
client.use(withKey);

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function unwrap<T>(result: Result<T>): T {
  const { data, error, response } = result;
  if (!response.ok || error !== undefined) {
    throw apiErrorFrom(response.status, error, response.statusText);
  }
  if (data === undefined) throw new ApiError(response.status, "EMPTY", "empty response");
  return data;
}

/** The dashboard's view of the API: one function per call it makes. */
export const api = {
  config: async (): Promise<Config> => unwrap(await client.GET("/api/config")) as Config,
  portfolio: async () => unwrap(await client.GET("/api/portfolio")),
  risk: async () => unwrap(await client.GET("/api/risk")),
  equityHistory: async (limit: number) =>
    unwrap(await client.GET("/api/equity-history", { params: { query: { limit } } })),
  orders: async (ticker: string, limit = 50) =>
    unwrap(await client.GET("/api/orders", { params: { query: { ticker, limit } } })),
  blotter: async (query: OrdersQuery) =>
    unwrap(await client.GET("/api/orders", { params: { query } })),
  decisions: async (query: DecisionQuery) =>
    unwrap(await client.GET("/api/decisions", { params: { query } })),
  journal: async (ticker = "") =>
    unwrap(await client.GET("/api/journal", { params: { query: { ticker } } })),
  manualClose: async (body: ManualClose) =>
    unwrap(await client.POST("/api/manual/close", { body })),
  manualStop: async (body: ManualStop) => unwrap(await client.POST("/api/manual/stop", { body })),
  manualCancel: async (body: ManualCancel) =>
    unwrap(await client.POST("/api/manual/cancel", { body })),
  watchlist: async () => unwrap(await client.GET("/api/watchlist")),
  saveWatchlist: async (tickers: string[]) =>
    unwrap(await client.PUT("/api/watchlist", { body: { tickers } })),
  tickerInfo: async (ticker: string) =>
    unwrap(await client.GET("/api/tickers/{ticker}", { params: { path: { ticker } } })),
  settings: async () => unwrap(await client.GET("/api/settings")),
  logs: async (limit = 50) =>
    unwrap(await client.GET("/api/logs", { params: { query: { limit } } })),
  insights: async (limit = 30) =>
    unwrap(await client.GET("/api/insights", { params: { query: { limit } } })),
  movers: async (n = 5) => unwrap(await client.GET("/api/movers", { params: { query: { n } } })),
  quote: async (ticker: string) =>
    unwrap(await client.GET("/api/quote/{ticker}", { params: { path: { ticker } } })),
  marketHistory: async (ticker: string, days: number) =>
    unwrap(
      await client.GET("/api/market-history/{ticker}", {
        params: { path: { ticker }, query: { days } },
      }),
    ),
  news: async (ticker: string) =>
    unwrap(await client.GET("/api/news/{ticker}", { params: { path: { ticker } } })),
  fundamentals: async (ticker: string) =>
    unwrap(await client.GET("/api/fundamentals/{ticker}", { params: { path: { ticker } } })),
  decision: async (decisionId: string) =>
    unwrap(
      await client.GET("/api/decisions/{decision_id}", {
        params: { path: { decision_id: decisionId } },
      }),
    ),
  trigger: async (ticker: string) =>
    unwrap(await client.POST("/api/trigger", { body: { ticker } })),
  scan: async () => unwrap(await client.POST("/api/scan", { body: null })),
  halt: async (reason: string) => unwrap(await client.POST("/api/halt", { body: { reason } })),
  resume: async (reason: string) =>
    unwrap(await client.POST("/api/resume", { body: { reason } })),
  streamToken: async () => unwrap(await client.POST("/api/stream-token")),
  backtests: async (limit = 50) =>
    unwrap(await client.GET("/api/backtests", { params: { query: { limit } } })),
  backtest: async (runId: string) =>
    unwrap(await client.GET("/api/backtests/{run_id}", { params: { path: { run_id: runId } } })),
  startBacktest: async (body: BacktestRequest) =>
    unwrap(await client.POST("/api/backtests", { body })),
  /** The run's HTML report as text: shown in a sandboxed iframe (srcdoc), since a frame's
   * own request could not carry the X-API-Key header. */
  backtestReport: async (runId: string): Promise<string> => {
    const result = await client.GET("/api/backtests/{run_id}/report", {
      params: { path: { run_id: runId } },
      parseAs: "text",
    });
    return unwrap(result as Result<string>);
  },
  optimizations: async (limit = 50) =>
    unwrap(await client.GET("/api/optimizations", { params: { query: { limit } } })),
  optimization: async (runId: string) =>
    unwrap(
      await client.GET("/api/optimizations/{run_id}", { params: { path: { run_id: runId } } }),
    ),
  startOptimization: async (body: OptimizationRequest) =>
    unwrap(await client.POST("/api/optimizations", { body })),
  /** The optimisation's HTML report as text, for a sandboxed iframe (as the backtest's). */
  optimizationReport: async (runId: string): Promise<string> => {
    const result = await client.GET("/api/optimizations/{run_id}/report", {
      params: { path: { run_id: runId } },
      parseAs: "text",
    });
    return unwrap(result as Result<string>);
  },
};

/** Query keys, in one place so the stream can invalidate exactly what an event changes. */
export const keys = {
  config: ["config"] as const,
  portfolio: ["portfolio"] as const,
  risk: ["risk"] as const,
  equity: ["equity-history"] as const,
  orders: (ticker: string) => ["orders", ticker] as const,
  ordersAll: ["orders"] as const,
  blotter: (query: OrdersQuery) => ["orders", "blotter", query] as const,
  decisions: (query: DecisionQuery) => ["decisions", query] as const,
  decisionsAll: ["decisions"] as const,
  journal: (ticker: string) => ["journal", ticker] as const,
  journalAll: ["journal"] as const,
  watchlist: ["watchlist"] as const,
  settings: ["settings"] as const,
  logs: ["logs"] as const,
  insights: ["insights"] as const,
  movers: ["movers"] as const,
  quote: (ticker: string) => ["quote", ticker] as const,
  history: (ticker: string) => ["market-history", ticker] as const,
  news: (ticker: string) => ["news", ticker] as const,
  fundamentals: (ticker: string) => ["fundamentals", ticker] as const,
  decision: (id: string) => ["decision", id] as const,
  backtests: ["backtests"] as const,
  backtestReport: (id: string) => ["backtest-report", id] as const,
  optimizations: ["optimizations"] as const,
  optimization: (id: string) => ["optimization", id] as const,
  optimizationReport: (id: string) => ["optimization-report", id] as const,
};
