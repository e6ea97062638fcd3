/**
 * The self-contained HTML report: inline CSS and SVG only, no scripts, no fonts, no
 * external resources of any kind (a Content-Security-Policy forbids them too). Every
 * string from a transcript is HTML-escaped: the suspect's responses are untrusted.
 */
import { DECOY_KS_THRESHOLD } from '@tracemark/detector';
import { isEngineSpec, type AnySpec, type NullModel } from '@tracemark/watermark';
import { planNullModel } from '@tracemark/investigate';
import { engineStatisticText } from './engine.js';
import { FLAG_NAMES, type HeatmapEntry, type Scores, type SuspectScores } from './evidence.js';
import { decoyQqSvg, esc, evidenceCurveSvg, scoreHistogramSvg } from './svg.js';
import { alphaText, decoyKsNote, histogramCaption, methodParagraphs, payloadText, sci, scoreText, verdictHeadline, verdictParagraphs } from './words.js';

export interface ReportMeta {
  title: string;
  created: string;
  spec: AnySpec;
  specSummary: string;
  signerPublicKey: string;
  tool: string;
  scans?: { name: string; summary: string }[];
}

const CSS = `
:root{color-scheme:light}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",Helvetica,Arial,"Noto Sans CJK SC","Noto Sans Arabic","Noto Sans Devanagari",sans-serif;margin:0;background:#f6f7f9;color:#1d232a}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;border-bottom:1px solid #d6dbe1;padding-bottom:4px}
h3{font-size:16px;margin:20px 0 6px}
.sub{color:#5b6570;margin:0 0 16px}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}
th,td{border:1px solid #d6dbe1;padding:5px 8px;text-align:left;vertical-align:top;font-variant-numeric:tabular-nums}
th{background:#eef1f4}
td.num{text-align:right;white-space:nowrap}.nw{white-space:nowrap}
.verdict{border-radius:6px;padding:12px 16px;margin:12px 0;background:#fff;border-left:6px solid #9e9e9e}
.verdict.detected{border-left-color:#d55e00}.verdict.not-detected{border-left-color:#0072b2}
.verdict b{font-size:17px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;font-weight:600}
.badge.detected{background:#fbe3d3;color:#8a3300}.badge.not-detected{background:#dcebf5;color:#00466e}
.chart{width:100%;max-width:640px;height:auto;display:block;background:#fff;border:1px solid #d6dbe1;margin:8px 0}
.chart .tick{font-size:11px;fill:#555}.chart .axis{font-size:12px;fill:#333}.chart .note{font-size:12px}.chart .legend text{font-size:12px;fill:#333}
.heat{background:#fff;border:1px solid #d6dbe1;padding:10px 12px;white-space:pre-wrap;word-break:break-word;font:13px/1.7 ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Noto Sans Mono",monospace,"Noto Sans CJK SC";margin:6px 0 14px}
.heat span{box-shadow:inset -1px 0 #fff}.heat span.g{background:#9ccbe9}.heat span.r{background:#f5c99c}.heat span.n{background:#eeeeee}.heat span.x{color:#8a939c;box-shadow:none}
.key span{padding:0 6px;border-radius:3px;margin-right:6px;display:inline-block}
.key .g{background:#9ccbe9}.key .r{background:#f5c99c}.key .x{color:#8a939c;border:1px dashed #bbb}
pre{background:#fff;border:1px solid #d6dbe1;padding:10px;overflow:auto;font-size:12px}
.small{font-size:13px;color:#5b6570}
footer{margin-top:40px;font-size:12px;color:#5b6570}
`;

function markClass(spec: AnySpec, flag: number, score: number | null, nm?: NullModel): string {
  if (FLAG_NAMES[flag] !== 'scored' || score === null) return 'x';
  if (isEngineSpec(spec)) {
    // an engine's score: Exp(1) (median ln 2) or a count of Bernoulli(p) trials (mean m·p)
    if (!nm || nm.kind === 'gamma') return score > Math.LN2 ? 'g' : 'r';
    const mean = nm.trialsPerToken * nm.p;
    return score > mean ? 'g' : score < mean ? 'r' : 'n';
  }
  const sc = spec.scheme;
  if (sc.name === 'synthid') return score * 2 > sc.layers ? 'g' : score * 2 < sc.layers ? 'r' : 'n';
  if (sc.name === 'gumbel') return score > Math.LN2 ? 'g' : 'r';
  return score >= 1 ? 'g' : 'r';
}

function heatmapHtml(spec: AnySpec, h: HeatmapEntry, nm?: NullModel): string {
  const parts: string[] = [];
  let prev = 0;
  for (const [a, b, flag, score] of h.marks) {
    if (a > prev) parts.push(esc(h.text.slice(prev, a)));
    const cls = markClass(spec, flag, score, nm);
    const title = FLAG_NAMES[flag] === 'scored' ? `score ${score}` : FLAG_NAMES[flag] ?? 'unknown';
    parts.push(`<span class="${cls}" title="${esc(title)}">${esc(h.text.slice(a, b))}</span>`);
    prev = Math.max(prev, b);
  }
  if (prev < h.text.length) parts.push(esc(h.text.slice(prev)));
  if (h.truncated) parts.push('<span class="x"> …</span>');
  return `<div class="heat">${parts.join('')}</div>`;
}

/** `command` in the (shared, Markdown-flavoured) method text → <code>command</code>; input already escaped. */
/** p-values such as 2.7e-72 never break across lines (browsers may break after the hyphen). */
export function nowrapNumbers(escaped: string): string {
  return escaped.replace(/(?<![\w.])(-?\d+(?:\.\d+)?e[-+]\d+)/g, '<span class="nw">$1</span>');
}

export function codeSpans(escaped: string): string {
  return escaped.replace(/`([^`]+)`/g, '<code>$1</code>');
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

function suspectSection(s: SuspectScores, scores: Scores, spec: AnySpec, nm?: NullModel): string {
  const a = s.accounting;
  const ks = s.decoyKs;
  const rows = [
    ['tokens in responses', a.tokens],
    ['without enough context (first h tokens of a response)', a.noContext],
    ['special tokens', a.special],
    ['window occurs in the prompt of that response (excluded)', a.excluded],
    ['repeated within the same response (scored once)', a.duplicatesWithin],
    ['already scored in an earlier response (scored once)', a.duplicatesAcross],
    ['scored (the n of the test)', a.scored],
  ] as const;
  const decoyRows = s.decoys
    .map((d) => `<tr><td>${d.index}</td><td><code>${esc(d.keyFingerprint)}</code></td><td class="num">${num(d.scored)}</td><td class="num">${esc(sci(d.log10P))}</td><td class="num">${d.log10P.toFixed(2)}</td></tr>`)
    .join('');
  const heat = s.heatmap
    .map((h) => `<h3>response ${esc(h.promptId)} — p = ${esc(sci(h.log10P))} on its own</h3>${heatmapHtml(spec, h, nm)}`)
    .join('');
  return `
<section id="suspect-${esc(s.name)}">
<h2>${esc(s.name)}</h2>
<div class="verdict ${s.verdict}"><b>${nowrapNumbers(esc(verdictHeadline(s)))}</b>${verdictParagraphs(s, scores).map((p) => `<p>${nowrapNumbers(esc(p))}</p>`).join('')}</div>
<table>
<tr><th>test</th><td>${esc(scores.method.test)}</td></tr>
<tr><th>responses</th><td>${num(s.responses)} (transcript <code>${esc(s.transcript)}</code>, SHA-256 <code>${esc(s.transcriptSha256.slice(0, 16))}…</code>)</td></tr>
<tr><th>tokens scored</th><td>${num(s.pooled.scored)} after deduplication and prompt exclusion</td></tr>
<tr><th>score</th><td>${esc(scoreText(s))}</td></tr>
<tr><th>p-value</th><td>${nowrapNumbers(`raw p = ${esc(sci(s.pooled.log10P))} (<span class="nw">log10 p = ${s.pooled.log10P.toFixed(3)}</span>); Holm-adjusted over ${scores.suspects.length} suspect(s): p = ${esc(sci(s.holmLog10P))}`)}</td></tr>
${s.engineStatistic ? `<tr><th>engine's statistic</th><td>${esc(engineStatisticText(s.engineStatistic))}</td></tr>` : ''}
${s.pooled.payload ? `<tr><th>payload</th><td>${esc(payloadText(s))}</td></tr>` : ''}
</table>
<h3>Where the tokens went</h3>
<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td class="num">${num(v)}</td></tr>`).join('')}
<tr><td>prompt windows (distinct per response, summed)</td><td class="num">${num(a.promptWindows)}</td></tr></table>
<h3>Evidence curve</h3>
<p class="small">The pooled p-value after each response (in transcript order). Evidence grows with the number of distinct tokens scored; decoy keys, which the suspect never saw, stay near log10 p = 0.</p>
${evidenceCurveSvg(s, scores.alpha)}
<h3>Score distribution</h3>
<p class="small">${esc(histogramCaption(s))}</p>
${scoreHistogramSvg(s)}
<h3>Decoy-key controls</h3>
<p class="small">${s.decoys.length} decoy keys scored on the same tokens. ${s.decoysAtLeastAsSmall} of them have a p-value as small as our key's; ${s.decoysDetected} fall below α (expected about ${(scores.alpha * s.decoys.length).toPrecision(1)}).
${ks ? ` Kolmogorov–Smirnov test of uniformity: D = ${ks.statistic.toFixed(3)}, p = ${ks.pValue.toPrecision(2)} (${esc(ks.method)}) — ${ks.pValue >= DECOY_KS_THRESHOLD ? 'consistent with uniform, as it should be' : 'NOT consistent with uniform: inspect the evidence pipeline before relying on this report'}.` : ''}${decoyKsNote(s) ? ` ${esc(decoyKsNote(s))}` : ''}</p>
${s.decoys.length > 0 ? decoyQqSvg(s) : ''}
<table><tr><th>#</th><th>decoy key fingerprint</th><th>scored</th><th>p</th><th>log10 p</th></tr>${decoyRows}</table>
<h3>Most marked responses</h3>
${
  s.verdict !== 'detected'
    ? `<p class="small">Not shown: ${esc(s.name)} is not detected, and colouring its tokens by their scores would present chance agreement as evidence. scores.json keeps every response's score.</p>`
    : `<p class="key small">Each token coloured by its own score under our key: <span class="g">blue: favoured by the watermark</span><span class="r">orange: not favoured</span><span class="x">not scored (no context, excluded, or repeated)</span></p>
${heat || '<p class="small">No scored responses.</p>'}`
}
</section>`;
}

export function renderHtml(scores: Scores, meta: ReportMeta): string {
  const summaryRows = scores.suspects
    .map(
      (s) =>
        `<tr><td><a href="#suspect-${esc(s.name)}">${esc(s.name)}</a></td><td class="num">${num(s.responses)}</td><td class="num">${num(s.pooled.scored)}</td><td class="num">${esc(sci(s.pooled.log10P))}</td><td class="num">${esc(sci(s.holmLog10P))}</td><td><span class="badge ${s.verdict}">${s.verdict === 'detected' ? 'detected' : 'not detected'}</span></td><td class="num">${s.decoyKs ? s.decoyKs.pValue.toPrecision(2) : '–'}</td></tr>`,
    )
    .join('');
  const scans = meta.scans && meta.scans.length > 0 ? `<h2>Attached corpus scans</h2><ul>${meta.scans.map((x) => `<li><code>${esc(x.name)}</code>: ${esc(x.summary)}</li>`).join('')}</ul><p class="small">Scan results are included as recorded; verify cannot re-run them without the corpus.</p>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(meta.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${esc(meta.title)}</h1>
<p class="sub">Created ${esc(meta.created)} by ${esc(meta.tool)}. Watermark: ${esc(meta.specSummary)}. Key fingerprint <code>${esc(scores.keyFingerprint)}</code> (the key itself is not in this report).</p>
<h2>Verdict</h2>
<table>
<tr><th>suspect</th><th>responses</th><th>tokens scored</th><th>p (raw)</th><th>p (Holm-adjusted)</th><th>verdict at α = ${esc(alphaText(scores.alpha))}</th><th>decoys uniform (KS p)</th></tr>
${summaryRows}
</table>
${scores.suspects.map((s) => `<div class="verdict ${s.verdict}"><b>${nowrapNumbers(esc(verdictHeadline(s)))}</b><p>${nowrapNumbers(esc(verdictParagraphs(s, scores)[0]!))}</p></div>`).join('')}
${scores.suspects.map((s) => suspectSection(s, scores, meta.spec, isEngineSpec(meta.spec) ? planNullModel(meta.spec) : undefined)).join('')}
${scans}
<h2>Method</h2>
${methodParagraphs(scores).map((p) => `<p>${codeSpans(esc(p))}</p>`).join('')}
<h3>Watermark spec</h3>
<pre>${esc(JSON.stringify(meta.spec, null, 2))}</pre>
<p class="small">Spec id (SHA-256 of its canonical JSON): <code>${esc(scores.specId)}</code>. Evidence signed with Ed25519 public key <code>${esc(meta.signerPublicKey)}</code>; manifest.json lists the SHA-256 of every file in this bundle.</p>
<footer>tracemark evidence report · all numbers in scores.json · this page loads nothing from the network</footer>
</main>
</body>
</html>
`;
}
