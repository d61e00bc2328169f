import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: number[];
  color: string;
  /** Drawn dashed (a limit, a projection). */
  dashed?: boolean;
}

interface ChartProps {
  /** What the chart shows, read by screen readers (the canvas itself says nothing). */
  title: string;
  /** One label per x position (the dates, YYYY-MM-DD). */
  dates: string[];
  series: Series[];
  /** How a y value reads on the axis (money in the currency, points, counts). */
  format: (value: number) => string;
  height?: number;
}

/**
 * A line chart per day (uPlot on a canvas: a few KB, fast on a year of days). The x axis is the
 * day's index with the date as its label, so no browser time zone shifts a tenant's day. The
 * legend is drawn here as a list, not uPlot's table, so it reads well to a screen reader.
 */
export function LineChart({ title, dates, series, format, height = 220 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const xs = dates.map((_, i) => i);
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height,
        legend: { show: false },
        cursor: { show: true, points: { show: false } },
        scales: { x: { time: false } },
        axes: [
          {
            values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? (dates[t]?.slice(5) ?? '') : '')),
            stroke: '#1a1a1a',
            grid: { stroke: '#e5e5e5' },
          },
          {
            values: (_u, ticks) => ticks.map(format),
            // Wide enough for the longest label ("GHS 1,250.00"): about 7 px a character at 12 px.
            size: (_u, values) => 16 + 7 * Math.max(4, ...(values ?? []).map((v) => String(v).length)),
            stroke: '#1a1a1a',
            grid: { stroke: '#e5e5e5' },
          },
        ],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            dash: s.dashed ? [6, 4] : undefined,
            points: { show: dates.length <= 31 },
          })),
        ],
      },
      [xs, ...series.map((s) => s.values)],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [dates, series, format, height]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div
        ref={box}
        role="img"
        aria-label={`${title}: a chart per day; the figures are in the table below`}
      />
      <ul className="legend">
        {series.map((s) => (
          <li key={s.label}>
            <span
              className="swatch"
              style={{ borderColor: s.color, borderStyle: s.dashed ? 'dashed' : 'solid' }}
            />
            {s.label}
          </li>
        ))}
      </ul>
    </figure>
  );
}
