/**
 * `tracemark plan`: how many scored tokens and queries does an investigation need?
 * From an assumed effect (green rate q; Gumbel: mean score) or one estimated from a
 * pilot probe transcript (plans for the estimate and for its 95% lower confidence
 * bound), for a level-α test with the requested power. Exact binomial search
 * (plannedTokensExact) next to the normal approximation.
 */
import type { Command } from 'commander';
import { parseSpec, type AnySpec } from '@tracemark/watermark';
import { alphaFlag, collect, intFlag, numFlag } from '../io/args.js';
import { hasPayload, loadAnyKey, loadAnySpec, schemeNameOf, usage } from '@tracemark/detector';
import { printJson, println } from '../io/output.js';
import { planAssumed, planFromPilot, planNullModel, type InvestigationPlan } from '@tracemark/investigate';

export interface PlanFlags {
  spec?: string;
  scheme?: string;
  gamma?: string;
  layers?: string;
  q?: string;
  mean?: string;
  sd?: string;
  pilot?: string;
  key?: string;
  filter?: string[];
  alpha?: string;
  power: string;
  tokensPerResponse?: string;
  json?: boolean;
}

export type PlanOutput = { command: 'plan' } & InvestigationPlan;

function schemeSpec(f: PlanFlags): AnySpec {
  if (f.spec !== undefined) {
    if (f.scheme !== undefined || f.gamma !== undefined || f.layers !== undefined) throw usage('give --spec or --scheme/--gamma/--layers, not both');
    return loadAnySpec(f.spec);
  }
  const name = f.scheme ?? 'kgw';
  const scheme: Record<string, unknown> = { name };
  if (name === 'kgw' || name === 'unigram') scheme.gamma = numFlag('gamma', f.gamma, (n) => n > 0 && n < 1, 'a number in (0, 1)', 0.25);
  else if (f.gamma !== undefined) throw usage(`--gamma does not apply to ${name}`);
  if (name === 'synthid') scheme.layers = intFlag('layers', f.layers, 1, 64, 30);
  else if (f.layers !== undefined) throw usage('--layers applies to synthid only');
  try {
    return parseSpec({ version: 1, scheme, keyFingerprint: '0'.repeat(32) });
  } catch (e) {
    throw usage(`--scheme: ${(e as Error).message}`);
  }
}

export function runPlan(f: PlanFlags): PlanOutput {
  const alpha = alphaFlag(f.alpha);
  const power = numFlag('power', f.power, (n) => n > 0 && n < 1, 'a number in (0, 1)');
  const spec = schemeSpec(f);
  const gumbel = planNullModel(spec).kind === 'gamma';
  const tpr = f.tokensPerResponse !== undefined ? numFlag('tokens-per-response', f.tokensPerResponse, (n) => n > 0, 'a positive number') : undefined;
  const given = [f.q, f.mean].filter((x) => x !== undefined).length + (f.pilot !== undefined ? 1 : 0);
  if (given !== 1) throw usage(gumbel ? 'give the effect: --mean <score> (and --sd), or --pilot <transcript>' : 'give the effect: --q <green rate>, or --pilot <transcript>');
  if (f.pilot === undefined && (f.key !== undefined || f.filter !== undefined)) throw usage('--key and --filter are for --pilot');
  const base = { spec, alpha, power, ...(tpr !== undefined ? { tokensPerResponse: tpr } : {}) };
  if (f.pilot === undefined) {
    if (gumbel) {
      if (f.q !== undefined) throw usage('the Gumbel test takes --mean (and --sd), not --q');
      const mean = numFlag('mean', f.mean, (n) => n > 1, 'a number > 1 (the null mean is 1)');
      const sd = f.sd !== undefined ? numFlag('sd', f.sd, (n) => n > 0, 'a positive number') : undefined;
      return { command: 'plan', ...planAssumed({ ...base, effect: { mean, ...(sd !== undefined ? { sd } : {}) } }) };
    }
    if (f.mean !== undefined || f.sd !== undefined) throw usage(`--mean/--sd are for the Gumbel test; ${schemeNameOf(spec)} takes --q`);
    const q = numFlag('q', f.q, (n) => n > 0 && n < 1, 'a rate in (0, 1)');
    return { command: 'plan', ...planAssumed({ ...base, effect: { q } }) };
  }
  if (f.spec === undefined || f.key === undefined) throw usage('--pilot needs --spec and --key');
  if (hasPayload(spec)) throw usage('planning is for zero-bit specs (the payload test has no single green rate)');
  const key = loadAnyKey(f.key, spec);
  return { command: 'plan', ...planFromPilot({ ...base, key, pilot: f.pilot, ...(f.filter?.length ? { filters: f.filter } : {}) }) };
}

const n = (x: number | null): string => (x === null ? '—' : x.toLocaleString('en-US'));

export function printPlan(r: InvestigationPlan): void {
  const nm = r.nullModel;
  const nullText = nm.kind === 'gamma' ? 'Gumbel: score ~ Exp(1) under H0' : nm.trialsPerToken > 1 ? `SynthID: ${nm.trialsPerToken} g-values per token, ${nm.p === 0.5 ? '½' : `each 1 with probability ${nm.p.toFixed(4)}`} under H0` : `${r.scheme === 'kgw' ? 'KGW' : r.scheme === 'unigram' ? 'Unigram' : r.scheme}: green with probability γ = ${nm.p.toFixed(4)} under H0`;
  println(nullText);
  if (r.pilot) {
    const p = r.pilot;
    const eff = p.q !== null ? `q̂ = ${p.q.toFixed(4)} (95% lower bound ${p.qLower?.toFixed(4) ?? '—'})` : `mean ${p.mean?.toFixed(4)} sd ${p.sd?.toFixed(4)}`;
    println(`pilot ${p.transcript}: ${p.responses} responses, ${n(p.scored)} distinct tuples${p.filtered ? ' (filtered)' : ''}; ${eff}; ${p.tokensPerResponse?.toFixed(1) ?? '—'} new tuples per response (second half)`);
  }
  for (const { label, plan } of r.plans) {
    const alt = 'q' in plan.alternative ? `q = ${plan.alternative.q.toFixed(4)}` : `mean ${plan.alternative.mean.toFixed(4)}, sd ${plan.alternative.sd.toFixed(4)}`;
    println('');
    println(`${label} (${alt}), α = ${plan.alpha.toExponential()}, power ${plan.power}:`);
    println(`  scored tokens: ${n(plan.tokens.exact)} exact (critical value ${plan.tokens.critical === null ? '—' : Number(plan.tokens.critical.toFixed(2))}, power ${plan.tokens.attainedPower?.toFixed(3) ?? '—'}); ${n(plan.tokens.normal)} normal approximation`);
    if (plan.queries) println(`  queries: ${n(plan.queries.exact)} exact, ${n(plan.queries.normal)} normal, at ${plan.tokensPerResponse!.toFixed(1)} scored tokens per response`);
    else println('  queries: give --tokens-per-response (or a --pilot) to convert tokens into queries');
    for (const note of plan.notes) println(`  note: ${note}`);
  }
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('scored tokens and queries needed for a level-α radioactivity test with given power (exact binomial search + normal approximation)')
    .option('--spec <file>', 'watermark spec (scheme and parameters); or --scheme/--gamma/--layers')
    .option('--scheme <name>', 'kgw, unigram, synthid or gumbel (without --spec)')
    .option('--gamma <g>', 'green-list fraction γ (kgw, unigram; default 0.25)')
    .option('--layers <m>', 'SynthID tournament layers (default 30)')
    .option('--q <rate>', 'assumed green rate of the suspect’s scored tokens (SynthID: mean g-value)')
    .option('--mean <score>', 'Gumbel: assumed mean per-token score (null: 1)')
    .option('--sd <sd>', 'Gumbel: assumed sd of the per-token score (default: = mean)')
    .option('--pilot <transcript>', 'estimate the effect (and scored tokens per response) from a pilot probe transcript (needs --spec, --key)')
    .option('--key <file>', '--pilot: the watermark key file')
    .option('--filter <file>', '--pilot: plan for the test filtered by these ledger windows (repeatable)', collect)
    .option('--alpha <a>', 'significance level', '1e-6')
    .option('--power <p>', 'required power', '0.9')
    .option('--tokens-per-response <n>', 'scored (new, distinct) tokens per response, to convert tokens into queries')
    .option('--json', 'machine-readable output')
    .action((f: PlanFlags) => {
      const r = runPlan(f);
      if (f.json) printJson(r);
      else printPlan(r);
    });
}
