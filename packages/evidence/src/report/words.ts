/**
 * The verdict in plain words, shared by the HTML and Markdown reports.
 */
import { DECOY_KS_THRESHOLD } from '@tracemark/detector';
import type { Scores, SuspectScores } from './evidence.js';

/** "3.2 × 10^-13" style, from log10 p (works far below double range). */
export function sci(log10P: number): string {
  if (!Number.isFinite(log10P)) return log10P < 0 ? '0' : String(log10P);
  if (log10P > -3) return (10 ** log10P).toPrecision(2).replace(/\.?0+$/, '');
  const e = Math.floor(log10P);
  let m = 10 ** (log10P - e);
  let ee = e;
  if (m >= 9.95) {
    m = 1;
    ee += 1;
  }
  return `${m.toFixed(1)}e${ee}`;
}

export function alphaText(alpha: number): string {
  return sci(Math.log10(alpha));
}

export function verdictHeadline(s: SuspectScores): string {
  return s.verdict === 'detected'
    ? `${s.name}: our watermark is present (Holm-adjusted p = ${sci(s.holmLog10P)})`
    : `${s.name}: our watermark was not detected (Holm-adjusted p = ${sci(s.holmLog10P)})`;
}

/** What the number means and what it does not, for one suspect. */
export function verdictParagraphs(s: SuspectScores, scores: Scores): string[] {
  const n = s.pooled.scored;
  const p = sci(s.holmLog10P) + (scores.suspects.length > 1 ? ` (Holm-adjusted over the ${scores.suspects.length} suspects of this report)` : '');
  const a = alphaText(scores.alpha);
  const out: string[] = [];
  if (s.verdict === 'detected') {
    out.push(
      `The ${s.responses} responses of ${s.name} carry the statistical bias of our watermark. ` +
        `If ${s.name} had never been trained on (or otherwise exposed to) text watermarked with our key, ` +
        `a score at least this high on these ${n.toLocaleString('en-US')} scored tokens would occur with probability ${p}. ` +
        `That is below the threshold α = ${a} fixed before looking at the data, so we reject "never exposed".`,
    );
  } else {
    out.push(
      `The ${s.responses} responses of ${s.name} do not show our watermark at the level we require: ` +
        `on ${n.toLocaleString('en-US')} scored tokens the p-value is ${p}, above α = ${a}. ` +
        `This is not proof of innocence: a model trained on little of our text, or probed with too few queries, can stay below the threshold.`,
    );
  }
  out.push(
    'What the p-value does not say: it is not the probability that the model is a clone, and it does not measure how much ' +
      'of our text was used, when, or by whom. It also assumes the watermark key was secret: anyone holding the key could ' +
      'produce watermarked text themselves.',
  );
  return out;
}

/**
 * The pooled score next to what text without our watermark would give. Under a payload spec
 * the score is the agreement M of the best-matching id, so it is compared with E[M] (the best
 * of all ids agrees more than one fixed id by chance), not with γ·n.
 */
export function scoreText(s: SuspectScores): string {
  const p = s.pooled;
  const observed = Math.round(p.score * 1000) / 1000;
  const expected = Math.round(p.expected * 10) / 10;
  const z = `z = ${p.z.toFixed(2)}, a summary only: the p-value is the test`;
  if (p.payload) {
    return (
      `${observed.toLocaleString('en-US')} of ${p.scored.toLocaleString('en-US')} scored tokens agree with the best-matching id; ` +
      `without our watermark the best of all ids would agree on about ${expected.toLocaleString('en-US')} (${z})`
    );
  }
  return `${observed.toLocaleString('en-US')} observed, ${expected.toLocaleString('en-US')} expected without our watermark (${z})`;
}

/** The payload row: an id is named only when the pooled test (the payload test) is significant. */
export function payloadText(s: SuspectScores): string {
  const pl = s.pooled.payload!;
  const how = pl.method === 'exact' ? 'exact' : pl.method === 'union' ? 'bounded above by a per-position union bound' : 'bounded above by Bonferroni over all ids';
  if (s.verdict !== 'detected') {
    return `no id decoded: the test that the responses carry any id is not significant (its p-value is the one above, ${how}); the best-matching id on text without our watermark is arbitrary`;
  }
  return (
    `the responses carry an id (p-value above, ${how}, corrected over all ids); the best-matching id is ${pl.message} (${pl.messageHex}). ` +
    'Tying it to an account is a separate test of that account’s id (tracemark attribute leaks)'
  );
}

/** The histogram's caption: what each response's z is, and what it follows without our watermark. */
export function histogramCaption(s: SuspectScores): string {
  const what = s.pooled.payload
    ? 'Each response tested on its own: z is the normal deviate of its own payload test (mid-p, over all ids).'
    : 'Each response tested on its own (z of its score).';
  return `${what} Without our watermark the histogram would follow the dashed curve; a shift to the right is the watermark's bias. Short responses carry little evidence each: the pooled test above is what decides.`;
}

/**
 * The decoys left out of the KS test of uniformity (those with no scored tuple: p = 1 by
 * construction), or why there is no KS test; '' when every decoy is in it.
 */
export function decoyKsNote(s: SuspectScores): string {
  const total = s.decoys.length;
  if (total === 0) return '';
  const scored = s.decoys.filter((d) => d.scored > 0).length;
  const out = total - scored;
  if (s.decoyKs) {
    return out === 0 ? '' : `${out} of the ${total} decoy keys have no scored token (p = 1 by construction, no information) and are left out of the uniformity test, which uses the other ${scored}.`;
  }
  return (
    `No uniformity test: it needs at least 2 decoy keys with a scored token, and ${scored} of the ${total} have one` +
    (out > 0 ? ' (decoy keys with no scored token have p = 1 by construction and are left out).' : '.')
  );
}

export function methodParagraphs(scores: Scores): string[] {
  const engine = scores.engine
    ? [
        `The watermark is a serving engine's own: ${scores.engine.summary}. tracemark reads it with the engine's PRF bit for bit and applies its own exact test. ` +
          `Decoy keys are keys of the engine's kind and range, made by the engine's key generator from the public seed. ` +
          `Beside each suspect's exact p the report shows the engine's own statistic: ${scores.engine.statistic}.`,
      ]
    : [];
  return [
    ...engine,
    `Test: ${scores.method.test}. Each (context window, token) pair is scored once per suspect, the first time it appears in transcript order, ` +
      'because repeated pairs would repeat the same pseudo-random draw and break the null distribution. In each response, positions whose ' +
      'context window occurs in the prompt we sent for it (and, for chat, any other message) are not scored: the suspect was given those windows and could copy them.',
    `Several suspects in one report are several hypotheses: their p-values are Holm-adjusted (family-wise error ≤ α = ${alphaText(scores.alpha)}). ` +
      'The verdict uses the adjusted value.',
    `Negative controls: ${scores.method.decoys.count} decoy keys, derived from the public seed recorded in scores.json, ` +
      'with specs identical to ours except for the key fingerprint, are scored on exactly the same tokens. ' +
      'A model that never saw text marked with a decoy key gives decoy p-values spread uniformly over (0, 1); ' +
      `a Kolmogorov–Smirnov test checks that (the binomial test is discrete, so its p-values are if anything a little larger than uniform); ` +
      `a KS p-value below ${DECOY_KS_THRESHOLD} fails the check. ` +
      'Decoy keys with no scored token (p = 1 by construction, not a draw from a uniform distribution) are left out of that test; with fewer than 2 left there is no test.',
    'Reproduce: `tracemark verify <bundle> --key <key file>` re-runs this detection from the transcripts and spec in the bundle ' +
      'and checks that every recorded number is reproduced bit for bit. Without the key, `verify` still checks every file hash, ' +
      'the Merkle root and the Ed25519 signature.',
  ];
}
