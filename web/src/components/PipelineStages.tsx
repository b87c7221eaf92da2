/** The stages of the last "Run analysis": signal -> risk -> order -> fill, live. */
import { STAGE_LABELS, type Stage } from "../lib/pipeline";

const STATE_ICONS: Record<Stage["state"], string> = {
  waiting: "○",
  running: "◌",
  done: "✓",
  denied: "⛔",
  skipped: "–",
  failed: "✕",
};

export function PipelineStages({ stages, decisionId }: { stages: Stage[]; decisionId: string | null }) {
  return (
    <ol className="stages" data-testid="pipeline-stages" aria-label="Decision stages" aria-live="polite" data-decision-id={decisionId ?? undefined}>
      {stages.map((s) => (
        <li key={s.name} className={`stage stage-${s.state}`}>
          <span className="stage-icon" aria-hidden="true">
            {STATE_ICONS[s.state]}
          </span>
          <span className="stage-name">{STAGE_LABELS[s.name]}</span>
          <span className="stage-text">{s.text}</span>
          <span className="sr-only">({s.state})</span>
        </li>
      ))}
    </ol>
  );
}
