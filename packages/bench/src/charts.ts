/**
 * SVG charts of the benchmark (static, no scripts or external resources):
 *  - TPR vs generation length per scheme (one chart per temperature and FPR level),
 *  - robustness per attack (a heat map: attack × scheme, TPR in each cell),
 *  - size distributions (per scheme, the share of samples whose p-value has
 *    stayed ≤ α by t tokens — an ECDF whose plateau is the share detected).
 */
import { esc, ticks } from '@tracemark/evidence';
import type { BenchResults } from './types.js';

const PALETTE = ['#1565c0', '#c62828', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f', '#f9a825', '#4e342e', '#546e7a', '#9e9d24', '#283593', '#00695c'];
const colour = (i: number): string => PALETTE[i % PALETTE.length]!;

function f(n: number): string {
  return Number.isFinite(n) ? (Math.round(n * 10) / 10).toString() : '0';
}

const STYLE = '<style>text{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:11px;fill:#222}.t{font-size:13px;font-weight:600}.ax{font-size:11px;fill:#444}</style>';

interface Plot {
  parts: string[];
  x: (v: number) => number;
  y: (v: number) => number;
  left: number;
  top: number;
  width: number;
  height: number;
}

function plot(opts: {
  width: number;
  height: number;
  title: string;
  xlabel: string;
  ylabel: string;
  x: [number, number];
  y: [number, number];
  xTicks: number[];
  xTickLabel?: (v: number) => string;
  xLog?: boolean;
  legendWidth: number;
}): Plot {
  const M = { l: 56, r: 16 + opts.legendWidth, t: 30, b: 44 };
  const pw = opts.width - M.l - M.r, ph = opts.height - M.t - M.b;
  const tx = (v: number): number => (opts.xLog ? Math.log(v) : v);
  const [x0, x1] = [tx(opts.x[0]), tx(opts.x[1])];
  const x = (v: number): number => M.l + ((tx(v) - x0) / (x1 - x0 || 1)) * pw;
  const y = (v: number): number => M.t + ph - ((v - opts.y[0]) / (opts.y[1] - opts.y[0] || 1)) * ph;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${opts.width} ${opts.height}" width="${opts.width}" height="${opts.height}" role="img" aria-label="${esc(opts.title)}">`,
    STYLE,
    `<title>${esc(opts.title)}</title>`,
    `<rect width="${opts.width}" height="${opts.height}" fill="#fff"/>`,
    `<text x="${M.l}" y="18" class="t">${esc(opts.title)}</text>`,
    `<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="#fff" stroke="#bbb"/>`,
  ];
  for (const t of opts.xTicks) {
    parts.push(`<line x1="${f(x(t))}" y1="${M.t}" x2="${f(x(t))}" y2="${M.t + ph}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${f(x(t))}" y="${M.t + ph + 15}" text-anchor="middle" class="ax">${esc(opts.xTickLabel ? opts.xTickLabel(t) : String(t))}</text>`);
  }
  for (const t of ticks(opts.y[0], opts.y[1])) {
    parts.push(`<line x1="${M.l}" y1="${f(y(t))}" x2="${M.l + pw}" y2="${f(y(t))}" stroke="#eee"/>`);
    parts.push(`<text x="${M.l - 6}" y="${f(y(t) + 4)}" text-anchor="end" class="ax">${esc(String(Math.round(t * 100) / 100))}</text>`);
  }
  parts.push(`<text x="${M.l + pw / 2}" y="${opts.height - 8}" text-anchor="middle" class="ax">${esc(opts.xlabel)}</text>`);
  parts.push(`<text transform="translate(14 ${M.t + ph / 2}) rotate(-90)" text-anchor="middle" class="ax">${esc(opts.ylabel)}</text>`);
  return { parts, x, y, left: M.l, top: M.t, width: pw, height: ph };
}

function legend(p: Plot, names: string[], dashed: boolean[] = []): void {
  const x0 = p.left + p.width + 14;
  names.forEach((n, i) => {
    const y = p.top + 8 + i * 16;
    p.parts.push(`<line x1="${x0}" y1="${y}" x2="${x0 + 18}" y2="${y}" stroke="${colour(i)}" stroke-width="2.5"${dashed[i] ? ' stroke-dasharray="4 3"' : ''}/>`);
    p.parts.push(`<text x="${x0 + 24}" y="${y + 4}">${esc(n)}</text>`);
  });
}

function line(pts: [number, number][], i: number, extra = ''): string {
  return `<polyline fill="none" stroke="${colour(i)}" stroke-width="2" ${extra} points="${pts.map(([a, b]) => `${f(a)},${f(b)}`).join(' ')}"/>`;
}

/** TPR at one FPR vs T, one line per scheme, with 95% intervals as whiskers. */
export function tprVsLengthSvg(r: BenchResults, temperature: number, fpr: number): string {
  const lengths = r.config.lengths;
  const labels = r.schemes.map((s) => s.label);
  const p = plot({
    width: 760,
    height: 340,
    title: `TPR at FPR ${fpr.toExponential(0)} vs generation length — temperature ${temperature}`,
    xlabel: 'generated tokens T (log scale)',
    ylabel: 'true-positive rate',
    x: [Math.min(...lengths) * 0.9, Math.max(...lengths) * 1.1],
    y: [0, 1],
    xTicks: lengths,
    xLog: true,
    legendWidth: 190,
  });
  r.schemes.forEach((s, i) => {
    const rows = r.detection.filter((d) => d.scheme === s.id && d.temperature === temperature).sort((a, b) => a.length - b.length);
    const pts: [number, number][] = [];
    for (const d of rows) {
      const t = d.tpr.find((x) => x.fpr === fpr);
      if (!t) continue;
      const X = p.x(d.length);
      pts.push([X, p.y(t.rate)]);
      p.parts.push(`<line x1="${f(X)}" y1="${f(p.y(t.lo))}" x2="${f(X)}" y2="${f(p.y(t.hi))}" stroke="${colour(i)}" stroke-width="1" opacity="0.5"/>`);
    }
    p.parts.push(line(pts, i));
    for (const [a, b] of pts) p.parts.push(`<circle cx="${f(a)}" cy="${f(b)}" r="3" fill="${colour(i)}"/>`);
  });
  legend(p, labels);
  p.parts.push('</svg>');
  return p.parts.join('\n');
}

/** Heat map: rows attacks, columns schemes, cells TPR at one FPR (whole text; windowed for copy-paste in a second line). */
export function robustnessSvg(r: BenchResults, fpr: number, normalized = false): string {
  const attacks = [...new Set(r.attacks.map((a) => a.attack))];
  const schemes = r.schemes;
  const cw = 92, ch = 22, left = 210, top = 150;
  const width = Math.max(820, left + cw * schemes.length + 150);
  const height = top + ch * attacks.length + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="robustness">`,
    STYLE,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="12" y="18" class="t">${esc(`Robustness: TPR at FPR ${fpr.toExponential(0)} after each attack (T = ${r.config.attackLength}, temperature ${r.config.attackTemperature}${normalized ? ', normalised text' : ''})`)}</text>`,
    `<text x="12" y="34" class="ax">${esc('whole-text test; copy-paste cells also give the windowed test (w). Darker = higher TPR.')}</text>`,
  ];
  schemes.forEach((s, j) => {
    const x = left + j * cw + cw / 2;
    parts.push(`<text transform="translate(${f(x)} ${top - 6}) rotate(-35)" class="ax">${esc(s.id)}</text>`);
  });
  attacks.forEach((id, i) => {
    const y = top + i * ch;
    parts.push(`<text x="${left - 8}" y="${f(y + ch / 2 + 4)}" text-anchor="end">${esc(id)}</text>`);
    schemes.forEach((s, j) => {
      const row = r.attacks.find((a) => a.attack === id && a.scheme === s.id);
      const t = (normalized ? row?.tprNormalized : row?.tpr)?.find((x) => x.fpr === fpr);
      const w = row?.tprWindowed?.find((x) => x.fpr === fpr);
      const v = t?.rate ?? NaN;
      const x = left + j * cw;
      const light = Number.isFinite(v) ? Math.round(97 - 62 * v) : 100;
      parts.push(`<rect x="${x + 1}" y="${y + 1}" width="${cw - 2}" height="${ch - 2}" fill="hsl(210,70%,${light}%)"/>`);
      const label = Number.isFinite(v) ? (w ? `${v.toFixed(2)} w${w.rate.toFixed(2)}` : v.toFixed(2)) : '—';
      parts.push(`<text x="${x + cw / 2}" y="${f(y + ch / 2 + 4)}" text-anchor="middle" fill="${light < 60 ? '#fff' : '#222'}" style="fill:${light < 60 ? '#fff' : '#222'}">${esc(label)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** ECDF of the size (tokens until p stays ≤ α) per scheme, at one temperature. */
export function sizeSvg(r: BenchResults, temperature: number, alpha: number): string {
  const rows = r.size.filter((s) => s.temperature === temperature);
  const horizon = Math.max(1, ...rows.map((s) => s.horizon));
  const p = plot({
    width: 760,
    height: 340,
    title: `Size: tokens until p stays ≤ ${alpha.toExponential(0)} — temperature ${temperature}`,
    xlabel: 'tokens t',
    ylabel: 'share of samples with p ≤ α from t on',
    x: [0, horizon],
    y: [0, 1],
    xTicks: ticks(0, horizon),
    legendWidth: 190,
  });
  const labels: string[] = [];
  r.schemes.forEach((s, i) => {
    const row = rows.find((x) => x.scheme === s.id);
    const a = row?.alphas.find((x) => x.alpha === alpha);
    labels.push(s.label);
    if (!a || a.sizes.length === 0) return;
    const v = a.sizes.filter((x): x is number => x !== null).sort((x, y) => x - y);
    const n = a.sizes.length;
    const pts: [number, number][] = [[p.x(0), p.y(0)]];
    v.forEach((t, k) => {
      pts.push([p.x(t), p.y(k / n)]);
      pts.push([p.x(t), p.y((k + 1) / n)]);
    });
    pts.push([p.x(horizon), p.y(v.length / n)]);
    p.parts.push(line(pts, i));
  });
  legend(p, labels);
  p.parts.push('</svg>');
  return p.parts.join('\n');
}

/** File name → SVG text, for every chart of a run. */
export function allCharts(r: BenchResults): Map<string, string> {
  const out = new Map<string, string>();
  const main = r.config.fprs.includes(1e-3) ? 1e-3 : r.config.fprs[0]!;
  for (const t of r.config.temperatures) {
    out.set(`tpr-vs-length-t${t}.svg`, tprVsLengthSvg(r, t, main));
    out.set(`size-t${t}.svg`, sizeSvg(r, t, main));
  }
  if (r.attacks.length > 0) {
    out.set('robustness.svg', robustnessSvg(r, main));
    out.set('robustness-normalized.svg', robustnessSvg(r, main, true));
  }
  return out;
}

/** The chart used for each purpose (for the report's links). */
export function chartNames(r: BenchResults): { tpr: string[]; size: string[]; robustness: string[] } {
  return {
    tpr: r.config.temperatures.map((t) => `tpr-vs-length-t${t}.svg`),
    size: r.config.temperatures.map((t) => `size-t${t}.svg`),
    robustness: r.attacks.length > 0 ? ['robustness.svg', 'robustness-normalized.svg'] : [],
  };
}
