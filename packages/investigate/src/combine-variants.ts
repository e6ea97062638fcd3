/**
 * The verdict over test variants chosen before scoring (unfiltered, supervised, unsupervised):
 * the smallest variant p-value times their number (Bonferroni), so the combined p stays valid.
 * Shared by the closed-model and the open-model radioactivity tests.
 */
import { formatPValue, lnToLog10 } from '@tracemark/detector';

export interface CombinedVerdict {
  combinedLnP: number;
  combinedLog10P: number;
  /** combinedLnP for display (a string: it can be far below 1e-308). */
  combinedPValue: string;
  verdict: 'detected' | 'not-detected';
}

export function combineVariants(lnPs: readonly number[], alpha: number): CombinedVerdict {
  const combinedLnP = Math.min(0, Math.min(...lnPs) + Math.log(lnPs.length));
  return {
    combinedLnP,
    combinedLog10P: lnToLog10(combinedLnP),
    combinedPValue: formatPValue(combinedLnP),
    verdict: combinedLnP <= Math.log(alpha) ? 'detected' : 'not-detected',
  };
}
