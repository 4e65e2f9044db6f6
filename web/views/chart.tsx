/**
 * The one chart: grouped bars or lines drawn as SVG on the server, so a report's chart needs no
 * script and prints as it shows. Each bar and point carries a tooltip (<title>) with its value;
 * the legend names the series. Values of one chart share a unit.
 */
export interface ChartSeries {
  name: string;
  values: (number | null)[];
}

export interface ChartProps {
  kind: 'bar' | 'line';
  labels: string[];
  series: ChartSeries[];
  /** Shows a value (axis ticks, tooltips). */
  format: (v: number) => string;
  title: string;
}

const width = 760;
const height = 260;
const pad = { left: 56, right: 12, top: 12, bottom: 46 };

/** A round axis maximum (1, 2, 2.5 or 5 × 10ⁿ) at or above the largest value. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

export function Chart(props: ChartProps) {
  const { labels, series, format } = props;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.map((v) => v ?? 0))));
  const y = (v: number) => pad.top + plotH - (v / max) * plotH;
  const n = Math.max(1, labels.length);
  const slot = plotW / n;
  // Lines for long series even when bars were asked for: hundreds of bars are unreadable.
  const kind = props.kind === 'bar' && n * series.length > 160 ? 'line' : props.kind;
  const barW = Math.max(1, (slot * 0.8) / Math.max(1, series.length));
  const labelEvery = Math.max(1, Math.ceil(n / 12));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={props.title}
        preserveAspectRatio="xMidYMid meet"
      >
        <title>{props.title}</title>
        {ticks.map((v) => (
          <g class="chart-tick">
            <line x1={pad.left} x2={width - pad.right} y1={y(v)} y2={y(v)} />
            <text x={pad.left - 6} y={y(v) + 4} text-anchor="end">
              {format(v)}
            </text>
          </g>
        ))}
        {labels.map((label, i) =>
          i % labelEvery === 0 ? (
            <text
              class="chart-label"
              x={pad.left + slot * i + slot / 2}
              y={height - pad.bottom + 16}
              text-anchor="middle"
            >
              {label.length > 16 ? `${label.slice(0, 15)}…` : label}
            </text>
          ) : null,
        )}
        {series.map((s, si) =>
          kind === 'bar' ? (
            <g class={`chart-series s${si % 6}`}>
              {s.values.map((v, i) =>
                v === null ? null : (
                  <rect
                    x={pad.left + slot * i + slot * 0.1 + barW * si}
                    y={y(v)}
                    width={barW}
                    height={Math.max(0, pad.top + plotH - y(v))}
                  >
                    <title>{`${labels[i]} · ${s.name}: ${format(v)}`}</title>
                  </rect>
                ),
              )}
            </g>
          ) : (
            <g class={`chart-series line s${si % 6}`}>
              <polyline
                fill="none"
                points={s.values
                  .map((v, i) => (v === null ? null : `${pad.left + slot * i + slot / 2},${y(v)}`))
                  .filter(Boolean)
                  .join(' ')}
              />
              {n <= 96
                ? s.values.map((v, i) =>
                    v === null ? null : (
                      <circle cx={pad.left + slot * i + slot / 2} cy={y(v)} r={3}>
                        <title>{`${labels[i]} · ${s.name}: ${format(v)}`}</title>
                      </circle>
                    ),
                  )
                : null}
            </g>
          ),
        )}
        <line class="chart-axis" x1={pad.left} x2={width - pad.right} y1={y(0)} y2={y(0)} />
      </svg>
      <figcaption class="chart-legend">
        {series.map((s, si) => (
          <span class={`s${si % 6}`}>
            <i aria-hidden="true" />
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
