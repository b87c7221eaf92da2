/** A ticker's latest headlines, each with its sentiment score in colour, and the aggregate. */
import type { News } from "../api/client";
import { formatDateTime, formatScore, safeLink, sentimentTone } from "../lib/format";

interface Props {
  news: News | undefined;
  error?: string | null;
}

export function NewsCard({ news, error }: Props) {
  if (!news) {
    return (
      <div className="context-card news-card" data-testid="news-card">
        <h3>News</h3>
        {error ? (
          <p className="error-text" role="alert">
            No news: {error}
          </p>
        ) : (
          <p className="muted">Loading news…</p>
        )}
      </div>
    );
  }
  const s = news.sentiment;
  const tone = sentimentTone(s?.score);
  return (
    <div className="context-card news-card" data-testid="news-card">
      <div className="context-head">
        <h3>News</h3>
        {s && s.score !== null && (
          <span
            className={`sentiment-badge sentiment-${tone}`}
            data-testid="news-sentiment"
            title={`aggregate of ${s.headlines} headlines; ${s.method}`}
          >
            {s.label ?? tone} {formatScore(s.score)}
          </span>
        )}
      </div>
      {news.missing.includes("news") ? (
        <p className="muted" data-testid="news-missing">
          News unavailable: the source did not answer.
        </p>
      ) : news.headlines.length === 0 ? (
        <p className="muted">No recent headlines.</p>
      ) : (
        <ul className="headlines">
          {news.headlines.map((h) => {
            const link = safeLink(h.url);
            const headTone = sentimentTone(h.sentiment);
            return (
              <li
                key={`${h.published_at}-${h.title}`}
                className="headline"
                data-testid="headline"
                data-sentiment={headTone}
              >
                <span
                  className={`sentiment-dot sentiment-${headTone}`}
                  aria-label={`sentiment ${headTone} ${formatScore(h.sentiment)}`}
                >
                  {formatScore(h.sentiment)}
                </span>
                <div className="headline-body">
                  {link ? (
                    <a href={link} target="_blank" rel="noopener noreferrer nofollow">
                      {h.title}
                    </a>
                  ) : (
                    <span className="headline-title">{h.title}</span>
                  )}
                  <span className="muted small">
                    {h.publisher ?? "unknown publisher"} ·{" "}
                    <time dateTime={h.published_at}>{formatDateTime(h.published_at)}</time>
                  </span>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {s && <p className="muted small method">Sentiment: {s.method}</p>}
    </div>
  );
}
