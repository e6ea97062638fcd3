/**
 * Inline SVG charts for the HTML report: no scripts, no external resources.
 */
import type { SuspectScores } from './evidence.js';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const W = 640;
const H = 300;
// The legend sits in the top margin, above the plot, so it never covers a curve.
const M = { l: 64, r: 16, t: 34, b: 44 };
const LEGEND_Y = 16;
/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = { ours: '#0072b2', decoy: '#9aa5ad', alpha: '#d55e00', bars: '#56b4e9', ink: '#333' } as const;

function f(n: number): string {
  return Number.isFinite(n) ? (Math.round(n * 10) / 10).toString() : '0';
}

/** "Nice" tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

function fmtTick(v: number): string {
  if (v === 0) return '0'; // never "-0"
  if (Math.abs(v) >= 1e4) return v.toExponential(0).replace('+', '');
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toPrecision(3).replace(/\.?0+$/, '');
}

interface Frame {
  x: (v: number) => number;
  y: (v: number) => number;
  parts: string[];
}

function frame(xlo: number, xhi: number, ylo: number, yhi: number, xlabel: string, ylabel: string, title: string): Frame {
  const pw = W - M.l - M.r, ph = H - M.t - M.b;
  const x = (v: number): number => M.l + ((v - xlo) / (xhi - xlo || 1)) * pw;
  const y = (v: number): number => M.t + ph - ((v - ylo) / (yhi - ylo || 1)) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}" class="chart">`,
    `<title>${esc(title)}</title>`,
    `<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="#fff" stroke="#bbb"/>`,
  ];
  for (const t of ticks(xlo, xhi)) {
    parts.push(`<line x1="${f(x(t))}" y1="${M.t + ph}" x2="${f(x(t))}" y2="${M.t + ph + 4}" stroke="#666"/>`);
    parts.push(`<text x="${f(x(t))}" y="${M.t + ph + 16}" text-anchor="middle" class="tick">${esc(fmtTick(t))}</text>`);
  }
  for (const t of ticks(ylo, yhi)) {
    parts.push(`<line x1="${M.l}" y1="${f(y(t))}" x2="${M.l + pw}" y2="${f(y(t))}" stroke="#eee"/>`);
    parts.push(`<text x="${M.l - 6}" y="${f(y(t) + 4)}" text-anchor="end" class="tick">${esc(fmtTick(t))}</text>`);
  }
  parts.push(`<text x="${M.l + pw / 2}" y="${H - 6}" text-anchor="middle" class="axis">${esc(xlabel)}</text>`);
  parts.push(`<text transform="translate(14 ${M.t + ph / 2}) rotate(-90)" text-anchor="middle" class="axis">${esc(ylabel)}</text>`);
  return { x, y, parts };
}

function polyline(pts: [number, number][], attrs: string): string {
  return `<polyline fill="none" ${attrs} points="${pts.map(([a, b]) => `${f(a)},${f(b)}`).join(' ')}"/>`;
}

/** log10 p of the pooled test as responses accumulate, real key against the decoy keys and α. */
export function evidenceCurveSvg(s: SuspectScores, alpha: number): string {
  const xs = s.curve.map((c) => c[0]);
  const xhi = Math.max(1, ...xs);
  const allY = [...s.curve.map((c) => c[1]), ...s.decoys.flatMap((d) => d.curve), Math.log10(alpha)].filter(Number.isFinite);
  const ylo = Math.min(Math.log10(alpha) * 1.15, ...allY);
  const fr = frame(0, xhi, ylo, 0, 'tokens scored (after deduplication), as responses accumulate', 'log10 p', `evidence curve for ${s.name}`);
  for (const d of s.decoys) {
    fr.parts.push(polyline(d.curve.map((v, i) => [fr.x(xs[i] ?? 0), fr.y(Math.max(ylo, v))]), `stroke="${PALETTE.decoy}" stroke-width="1" opacity="0.7"`));
  }
  const ya = fr.y(Math.log10(alpha));
  fr.parts.push(`<line x1="${M.l}" y1="${f(ya)}" x2="${W - M.r}" y2="${f(ya)}" stroke="${PALETTE.alpha}" stroke-dasharray="6 4"/>`);
  fr.parts.push(polyline(s.curve.map(([x, y]) => [fr.x(x), fr.y(Math.max(ylo, y))]), `stroke="${PALETTE.ours}" stroke-width="2.5"`));
  const L = LEGEND_Y;
  fr.parts.push(
    `<g class="legend"><line x1="${M.l}" y1="${L - 4}" x2="${M.l + 24}" y2="${L - 4}" stroke="${PALETTE.ours}" stroke-width="2.5"/><text x="${M.l + 30}" y="${L}">our key</text>` +
      `<line x1="${M.l + 100}" y1="${L - 4}" x2="${M.l + 124}" y2="${L - 4}" stroke="${PALETTE.decoy}"/><text x="${M.l + 130}" y="${L}">${s.decoys.length} decoy keys</text>` +
      `<line x1="${M.l + 240}" y1="${L - 4}" x2="${M.l + 264}" y2="${L - 4}" stroke="${PALETTE.alpha}" stroke-dasharray="6 4"/><text x="${M.l + 270}" y="${L}">α = ${esc(alpha.toExponential(0))}</text></g>`,
  );
  fr.parts.push('</svg>');
  return fr.parts.join('');
}

/** Histogram of per-response z against the standard normal density (the null's shape for long texts). */
export function scoreHistogramSvg(s: SuspectScores): string {
  const zs = s.perResponse.filter((r) => r.scored > 0).map((r) => r.z);
  const lo = Math.min(-4, Math.floor(Math.min(0, ...zs)));
  const hi = Math.max(4, Math.ceil(Math.max(0, ...zs)));
  const bw = Math.max(0.5, (hi - lo) / 40);
  const nb = Math.ceil((hi - lo) / bw);
  const bins = new Array<number>(nb).fill(0);
  for (const z of zs) bins[Math.min(nb - 1, Math.max(0, Math.floor((z - lo) / bw)))]!++;
  const dens = (z: number): number => (zs.length * bw * Math.exp(-z * z / 2)) / Math.sqrt(2 * Math.PI);
  const ymax = Math.max(1, ...bins, dens(0)) * 1.1;
  const fr = frame(lo, hi, 0, ymax, 'per-response z (each response on its own)', 'responses', `score distribution for ${s.name}`);
  bins.forEach((c, i) => {
    if (c === 0) return;
    const x0 = fr.x(lo + i * bw), x1 = fr.x(lo + (i + 1) * bw);
    fr.parts.push(`<rect x="${f(x0)}" y="${f(fr.y(c))}" width="${f(Math.max(1, x1 - x0 - 1))}" height="${f(fr.y(0) - fr.y(c))}" fill="${PALETTE.bars}"/>`);
  });
  const pts: [number, number][] = [];
  for (let z = lo; z <= hi; z += (hi - lo) / 200) pts.push([fr.x(z), fr.y(dens(z))]);
  fr.parts.push(polyline(pts, 'stroke="#333" stroke-width="1.5" stroke-dasharray="4 3"'));
  fr.parts.push(
    `<g class="legend"><rect x="${M.l}" y="${LEGEND_Y - 10}" width="14" height="10" fill="${PALETTE.bars}"/><text x="${M.l + 20}" y="${LEGEND_Y}">responses</text>` +
      `<line x1="${M.l + 100}" y1="${LEGEND_Y - 4}" x2="${M.l + 124}" y2="${LEGEND_Y - 4}" stroke="${PALETTE.ink}" stroke-dasharray="4 3"/><text x="${M.l + 130}" y="${LEGEND_Y}">null: N(0, 1), scaled</text></g>`,
  );
  fr.parts.push('</svg>');
  return fr.parts.join('');
}

/** Decoy p-values against Uniform(0,1) quantiles (a QQ plot): on the diagonal when the null holds. */
export function decoyQqSvg(s: SuspectScores): string {
  const ps = s.decoys.map((d) => Math.exp(d.lnP)).sort((a, b) => a - b);
  const n = ps.length;
  const fr = frame(0, 1, 0, 1, 'expected under the null (uniform quantile)', 'decoy p-value', `decoy-key p-values for ${s.name}`);
  fr.parts.push(`<line x1="${f(fr.x(0))}" y1="${f(fr.y(0))}" x2="${f(fr.x(1))}" y2="${f(fr.y(1))}" stroke="#999" stroke-dasharray="4 3"/>`);
  ps.forEach((p, i) => {
    fr.parts.push(`<circle cx="${f(fr.x((i + 0.5) / n))}" cy="${f(fr.y(p))}" r="4" fill="${PALETTE.ours}"/>`);
  });
  fr.parts.push('</svg>');
  return fr.parts.join('');
}
