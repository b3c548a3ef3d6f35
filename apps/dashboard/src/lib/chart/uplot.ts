/**
 * The charts, drawn by uPlot (a small canvas time-series library). This module and uPlot are
 * loaded only when a page shows a chart (`import()` in the chart components), so the board's
 * first load does not carry them. Colours come from the page's theme tokens; the components
 * redraw when the theme changes. Days and hours are UTC, as the API buckets them.
 */
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

import { STACK, type StackedBuckets, type Stacked } from './stack.ts'

export interface Palette {
  text: string
  muted: string
  grid: string
  completed: string
  failed: string
  aborted: string
  accent: string
}

/** The theme's colours as the page has them now (CSS custom properties on `el`). */
export function readPalette(el: Element): Palette {
  const css = getComputedStyle(el)
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback
  return {
    text: v('--text', '#14171c'),
    muted: v('--muted', '#586170'),
    grid: v('--border', '#d9dee6'),
    completed: v('--ok', '#136c2e'),
    failed: v('--bad', '#b42318'),
    aborted: v('--muted', '#586170'),
    accent: v('--accent', '#2f55d4'),
  }
}

/** A #rrggbb colour at some opacity (canvas fills take no color-mix()). */
function fade(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex)
  if (!m) return hex
  const [r, g, b] = [m[1]!, m[2]!, m[3]!].map((h) => parseInt(h, 16))
  return `rgba(${r}, ${g}, ${b}, ${alpha})`
}

export interface Plot {
  /** Unix seconds → px from the plot area's left edge. */
  toPx(seconds: number): number
  /** The plot area within the chart's box, in CSS px. */
  area(): { left: number; top: number; width: number; height: number }
  resize(width: number, height: number): void
  destroy(): void
}

const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC')
const font = '12px system-ui, sans-serif'

function axes(p: Palette, y: Partial<uPlot.Axis> = {}): uPlot.Axis[] {
  const common = {
    stroke: p.muted,
    font,
    grid: { stroke: p.grid, width: 1 },
    ticks: { show: false },
  }
  return [
    { ...common, grid: { show: false } },
    { ...common, size: 44, ...y },
  ]
}

function wrap(u: uPlot): Plot {
  return {
    toPx: (seconds) => u.valToPos(seconds, 'x'),
    area: () => ({
      left: u.over.offsetLeft,
      top: u.over.offsetTop,
      width: u.over.clientWidth,
      height: u.over.clientHeight,
    }),
    resize: (width, height) => u.setSize({ width, height }),
    destroy: () => u.destroy(),
  }
}

export interface DeploymentsOptions {
  width: number
  height: number
  palette: Palette
  data: StackedBuckets
  /** The x axis' span, Unix seconds. */
  range: [number, number]
  /** The bucket under the pointer (null when it leaves). */
  onHover(index: number | null): void
  /** After every draw (data, size): where markers go may have moved. */
  onDraw(): void
}

/** Bars stacked by status: each status is drawn from 0 to its segment's top, tallest first. */
export function plotDeployments(el: HTMLElement, o: DeploymentsOptions): Plot {
  const order = [...STACK].reverse() // aborted's top is the whole bar: drawn first, then covered
  const bars = uPlot.paths.bars!({ size: [0.8, 64], align: 0 })
  const colour: Record<Stacked, string> = {
    completed: o.palette.completed,
    failed: o.palette.failed,
    aborted: o.palette.aborted,
  }
  const u = new uPlot(
    {
      width: o.width,
      height: o.height,
      tzDate: utc,
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: false, y: false, setScale: false } },
      scales: {
        x: { time: true, range: () => o.range },
        y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] },
      },
      axes: axes(o.palette, {
        values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? String(v) : '')),
      }),
      series: [
        {},
        ...order.map((s) => ({
          label: s,
          stroke: colour[s],
          fill: colour[s],
          width: 0,
          paths: bars,
          points: { show: false },
        })),
      ],
      hooks: {
        setCursor: [(u) => o.onHover(u.cursor.idx ?? null)],
        draw: [() => o.onDraw()],
      },
    },
    [o.data.x, ...order.map((s) => o.data.tops[s])],
    el
  )
  return wrap(u)
}

export interface AdoptionOptions {
  width: number
  height: number
  palette: Palette
  /** Days (YYYY-MM-DD) and the percentage of targeted cells running the release on each. */
  days: ReadonlyArray<{ date: string; percent: number }>
}

/** Adoption over the release's first days: a filled line from 0 to 100%. */
export function plotAdoption(el: HTMLElement, o: AdoptionOptions): Plot {
  const x = o.days.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000)
  const first = x[0] ?? 0
  const last = x.at(-1) ?? first
  const u = new uPlot(
    {
      width: o.width,
      height: o.height,
      tzDate: utc,
      legend: { show: false },
      cursor: { drag: { x: false, y: false, setScale: false } },
      scales: {
        x: { time: true, range: () => [first - 43_200, Math.max(last, first + 86_400) + 43_200] },
        y: { range: [0, 100] },
      },
      axes: [
        // one tick per day (or week, when they crowd), named by the day
        { ...axes(o.palette)[0]!, incrs: [86_400, 2 * 86_400, 7 * 86_400], values: '{D} {MMM}' },
        axes(o.palette, { values: (_u, vals) => vals.map((v) => `${v}%`), size: 50 })[1]!,
      ],
      series: [
        {},
        {
          label: 'adoption',
          stroke: o.palette.accent,
          width: 2,
          fill: fade(o.palette.accent, 0.18),
          points: { show: true, size: 6, fill: o.palette.accent },
        },
      ],
    },
    [x, o.days.map((d) => d.percent)],
    el
  )
  return wrap(u)
}
