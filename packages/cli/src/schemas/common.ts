/** Field types shared by the output schemas. */
import { z } from 'zod';

export const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`));
/** ln p / log10 p: finite numbers ≤ 0 (log space: never underflows to -Infinity). */
export const logP = z.number().max(0);
export const num = z.number();
export const count = z.number().int().nonnegative();
export const schemeName = z.enum(['kgw', 'gumbel', 'synthid', 'unigram']);
export const testName = z.enum(['binomial', 'gamma', 'payload']);
export const prob = z.number().min(0).max(1);
export const alphaLevel = z.number().gt(0).lt(1);
