/** Field types shared by the output schemas. */
import { ENGINE_SCHEMES } from '@tracemark/watermark';
import { z } from 'zod';

export const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`));
/** ln p / log10 p: finite numbers ≤ 0 (log space: never underflows to -Infinity). */
export const logP = z.number().max(0);
export const num = z.number();
export const count = z.number().int().nonnegative();
export const schemeName = z.enum(['kgw', 'gumbel', 'synthid', 'unigram', ...ENGINE_SCHEMES]);
/** Engine specs: the engine's own detector beside tracemark's exact test (p and z null where the engine has none). */
export const EngineStatisticSchema = z.strictObject({
  engine: z.string(),
  name: z.string(),
  scored: count,
  statistic: num,
  z: num.nullable(),
  pValue: z.number().min(0).max(1).nullable(),
  watermarked: z.boolean().nullable(),
});
export const testName = z.enum(['binomial', 'gamma', 'payload']);
export const prob = z.number().min(0).max(1);
export const alphaLevel = z.number().gt(0).lt(1);
