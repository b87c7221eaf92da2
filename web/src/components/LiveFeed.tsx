/** The live feed: the audit journal and analyst insights as they happen (newest first). */
import { formatTime } from "../lib/format";
import type { FeedItem } from "../lib/stream";

const SHOWN = 100;

function Item({ item, onOpen }: { item: FeedItem; onOpen: (decisionId: string) => void }) {
  const body = (
    <>
      <span className="feed-time">{formatTime(item.ts)}</span>
      <span className={`feed-tag tag-${item.tone}`}>{item.source === "insight" ? "AI" : item.kind}</span>
      <span className="feed-title">{item.title}</span>
      {item.source === "insight" && <span className="feed-detail">{item.detail}</span>}
    </>
  );
  if (item.decisionId) {
    const id = item.decisionId;
    return (
      <button
        type="button"
        className={`feed-item tone-${item.tone}`}
        data-testid="feed-item"
        data-decision-id={id}
        onClick={() => onOpen(id)}
        title="Explain this decision"
      >
        {body}
      </button>
    );
  }
  return (
    <div className={`feed-item tone-${item.tone}`} data-testid="feed-item">
      {body}
    </div>
  );
}

export function LiveFeed({
  items,
  onOpenDecision,
}: {
  items: FeedItem[];
  onOpenDecision: (decisionId: string) => void;
}) {
  return (
    <section className="panel feed" aria-labelledby="feed-title">
      <h2 id="feed-title">Live feed</h2>
      <ol className="feed-list" data-testid="live-feed" role="log" aria-live="polite" aria-relevant="additions">
        {items.length === 0 && <li className="muted">Nothing yet: run an analysis or a scan.</li>}
        {items.slice(0, SHOWN).map((item) => (
          <li key={item.key}>
            <Item item={item} onOpen={onOpenDecision} />
          </li>
        ))}
      </ol>
    </section>
  );
}
