/** The Markdown report and the JSON summary (report.json). */
import type { Scores } from './evidence.js';
import type { ReportMeta } from './html.js';
import { alphaText, decoyKsNote, methodParagraphs, payloadText, sci, scoreText, verdictHeadline, verdictParagraphs } from './words.js';
import { engineStatisticText } from './engine.js';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function renderMarkdown(scores: Scores, meta: ReportMeta): string {
  const L: string[] = [];
  L.push(`# ${meta.title}`, '');
  L.push(`Created ${meta.created} by ${meta.tool}. Watermark: ${meta.specSummary}. Key fingerprint \`${scores.keyFingerprint}\` (the key itself is not in this report).`, '');
  L.push('## Verdict', '');
  L.push(`| suspect | responses | tokens scored | p | p (Holm) | verdict at α = ${alphaText(scores.alpha)} | decoys uniform (KS p) |`);
  L.push('|---|---:|---:|---:|---:|---|---:|');
  for (const s of scores.suspects) {
    L.push(
      `| ${cell(s.name)} | ${s.responses} | ${s.pooled.scored} | ${sci(s.pooled.log10P)} | ${sci(s.holmLog10P)} | ${s.verdict === 'detected' ? '**detected**' : 'not detected'} | ${s.decoyKs ? s.decoyKs.pValue.toPrecision(2) : '–'} |`,
    );
  }
  L.push('');
  for (const s of scores.suspects) {
    L.push(`## ${s.name}`, '', `**${verdictHeadline(s)}**`, '');
    for (const p of verdictParagraphs(s, scores)) L.push(p, '');
    const a = s.accounting;
    L.push(`- Test: ${scores.method.test}`);
    L.push(`- Score: ${scoreText(s)}`);
    L.push(`- p = ${sci(s.pooled.log10P)} (log10 p = ${s.pooled.log10P.toFixed(3)}); Holm-adjusted: ${sci(s.holmLog10P)}`);
    if (s.engineStatistic) L.push(`- Engine's statistic: ${engineStatisticText(s.engineStatistic)}`);
    if (s.pooled.payload) L.push(`- Payload: ${payloadText(s)}`);
    L.push(
      `- Tokens: ${a.tokens} in ${s.responses} responses; ${a.noContext} without context, ${a.special} special, ${a.excluded} in prompt windows (excluded), ` +
        `${a.duplicatesWithin} repeated within a response, ${a.duplicatesAcross} repeated across responses; **${a.scored} scored**`,
    );
    L.push(`- Transcript: \`${s.transcript}\` (SHA-256 \`${s.transcriptSha256}\`)`);
    const ks = s.decoyKs;
    L.push(
      `- Decoy keys: ${s.decoys.length}; ${s.decoysAtLeastAsSmall} as small as ours; ${s.decoysDetected} below α` +
        (ks ? `; KS test of uniformity D = ${ks.statistic.toFixed(3)}, p = ${ks.pValue.toPrecision(2)}` : '') +
        (decoyKsNote(s) ? `. ${decoyKsNote(s)}` : ''),
    );
    L.push('');
    const last = s.curve.length > 0 ? s.curve : [];
    if (last.length > 0) {
      L.push('Evidence curve (pooled log10 p as responses accumulate):', '');
      L.push('| tokens scored | log10 p |', '|---:|---:|');
      const step = Math.max(1, Math.ceil(last.length / 10));
      for (let i = 0; i < last.length; i += step) L.push(`| ${last[i]![0]} | ${last[i]![1].toFixed(2)} |`);
      if ((last.length - 1) % step !== 0) L.push(`| ${last[last.length - 1]![0]} | ${last[last.length - 1]![1].toFixed(2)} |`);
      L.push('');
    }
    if (s.heatmap.length > 0 && s.verdict === 'detected') {
      L.push('Most marked responses (token-level colouring is in report.html):', '');
      for (const h of s.heatmap.slice(0, 3)) {
        L.push(`- \`${h.promptId}\` p = ${sci(h.log10P)}: ${cell(h.text.slice(0, 240))}${h.text.length > 240 || h.truncated ? ' …' : ''}`);
      }
      L.push('');
    }
  }
  if (meta.scans && meta.scans.length > 0) {
    L.push('## Attached corpus scans', '');
    for (const x of meta.scans) L.push(`- \`${x.name}\`: ${x.summary}`);
    L.push('', 'Scan results are included as recorded; verify cannot re-run them without the corpus.', '');
  }
  L.push('## Method', '');
  for (const p of methodParagraphs(scores)) L.push(p, '');
  L.push('Spec:', '', '```json', JSON.stringify(meta.spec, null, 2), '```', '');
  L.push(`Spec id \`${scores.specId}\`. Signed with Ed25519 public key \`${meta.signerPublicKey}\`.`, '');
  return L.join('\n');
}

export function reportSummary(scores: Scores, meta: ReportMeta) {
  return {
    type: 'tracemark-report' as const,
    version: 1 as const,
    title: meta.title,
    created: meta.created,
    alpha: scores.alpha,
    specId: scores.specId,
    keyFingerprint: scores.keyFingerprint,
    signerPublicKey: meta.signerPublicKey,
    test: scores.method.test,
    ...(scores.engine ? { scheme: scores.scheme, engine: scores.engine.summary } : {}),
    suspects: scores.suspects.map((s) => ({
      name: s.name,
      transcript: s.transcript,
      responses: s.responses,
      scored: s.pooled.scored,
      score: s.pooled.score,
      lnP: s.pooled.lnP,
      log10P: s.pooled.log10P,
      pValue: s.pooled.pValue,
      holmLnP: s.holmLnP,
      holmLog10P: s.holmLog10P,
      verdict: s.verdict,
      decoys: { count: s.decoys.length, atLeastAsSmall: s.decoysAtLeastAsSmall, detected: s.decoysDetected, ksPValue: s.decoyKs?.pValue ?? null },
      ...(s.engineStatistic ? { engineStatistic: s.engineStatistic } : {}),
    })),
  };
}
export type ReportSummary = ReturnType<typeof reportSummary>;
