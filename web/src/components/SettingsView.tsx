/**
 * The settings view (read-only): effective risk limits, analyst, model and daily budget with
 * today's spend, market and broker, and the autopilot's schedule with each job's next run.
 */
import { useQuery } from "@tanstack/react-query";

import { api, keys } from "../api/client";
import { pollUnlessRefused } from "../lib/auth";
import { formatDateTime, formatMoney } from "../lib/format";

function limitLabel(key: string): string {
  return key.replace(/_/g, " ").replace(/\bpct\b/, "(fraction)").replace(/\bs\b$/, "(s)");
}

export function SettingsView() {
  const s = useQuery({
    queryKey: keys.settings,
    queryFn: api.settings,
    refetchInterval: pollUnlessRefused(30_000),
  }).data;
  return (
    <main className="view" aria-labelledby="settings-title">
      <section className="panel">
        <h2 id="settings-title">Settings</h2>
        {!s ? (
          <p className="muted">Loading…</p>
        ) : (
          <>
            <dl className="figures" data-testid="settings-desk">
              <div>
                <dt>Profile</dt>
                <dd>{s.profile}</dd>
              </div>
              <div>
                <dt>Trading state</dt>
                <dd>{s.trading_state}</dd>
              </div>
              <div>
                <dt>Analyst</dt>
                <dd data-testid="settings-analyst">{s.analyst}</dd>
              </div>
              <div>
                <dt>Model</dt>
                <dd>{s.model ?? "—"}</dd>
              </div>
              <div>
                <dt>Daily budget</dt>
                <dd>{s.daily_budget_usd ? formatMoney(s.daily_budget_usd) : "no limit"}</dd>
              </div>
              <div>
                <dt>Spent today</dt>
                <dd data-testid="settings-spent">{formatMoney(s.spent_today_usd)}</dd>
              </div>
              <div>
                <dt>Market</dt>
                <dd>
                  {s.market} <span className="muted">({s.market_clock})</span>
                </dd>
              </div>
              <div>
                <dt>Broker</dt>
                <dd>{s.broker}</dd>
              </div>
              <div>
                <dt>Watchlist</dt>
                <dd>{s.watchlist_size} tickers</dd>
              </div>
            </dl>
            <div className="two-col">
              <div className="table-scroll">
                <table data-testid="settings-limits">
                  <caption>Risk limits</caption>
                  <tbody>
                    {Object.entries(s.limits).map(([k, v]) => (
                      <tr key={k}>
                        <th scope="row">{limitLabel(k)}</th>
                        <td className="num">{String(v)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div className="table-scroll">
                <table data-testid="settings-jobs">
                  <caption>
                    Autopilot: {s.autopilot_enabled ? (s.autopilot_running ? "running" : "stopped") : "off"}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Job</th>
                      <th scope="col" className="num">Every</th>
                      <th scope="col" className="num">Runs</th>
                      <th scope="col">Next run (if due)</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.jobs.map((j) => (
                      <tr key={j.name}>
                        <th scope="row">{j.name}</th>
                        <td className="num">{j.interval_s} s</td>
                        <td className="num">{j.runs}</td>
                        <td>{j.running ? "running now" : j.next_run ? formatDateTime(j.next_run) : "not scheduled"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
            <p className="muted">Desk clock: {formatDateTime(s.now)}. Limits and schedule come from the environment (SWINGDESK_*).</p>
          </>
        )}
      </section>
    </main>
  );
}
