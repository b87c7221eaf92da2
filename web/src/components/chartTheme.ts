/** Chart colours taken from the page's CSS variables, so charts follow the theme. */
import { ColorType, type DeepPartial, type ChartOptions } from "lightweight-charts";

export interface ChartColors {
  text: string;
  grid: string;
  background: string;
  gain: string;
  loss: string;
  accent: string;
  accent2: string;
  stop: string;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Read the current theme's chart colours. */
export function chartColors(): ChartColors {
  return {
    text: cssVar("--text-muted", "#667085"),
    grid: cssVar("--border", "#e4e7ec"),
    background: cssVar("--surface", "#ffffff"),
    gain: cssVar("--gain", "#12b76a"),
    loss: cssVar("--loss", "#f04438"),
    accent: cssVar("--accent", "#155eef"),
    accent2: cssVar("--accent-2", "#f79009"),
    stop: cssVar("--loss", "#f04438"),
  };
}

/** Return the options every chart shares for the given colours. */
export function baseChartOptions(c: ChartColors): DeepPartial<ChartOptions> {
  return {
    autoSize: true,
    layout: {
      background: { type: ColorType.Solid, color: c.background },
      textColor: c.text,
      fontFamily: "inherit",
    },
    grid: { vertLines: { color: c.grid }, horzLines: { color: c.grid } },
    rightPriceScale: { borderColor: c.grid },
    timeScale: { borderColor: c.grid },
  };
}
