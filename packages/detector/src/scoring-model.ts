/**
 * What pooled tests need to know about a scheme: its null model, and — for tracemark's
 * KGW with a payload — the Watermark that decodes ids. A native spec brings its
 * Watermark, an engine spec its reader; both carry `nullModel`.
 */
import { Watermark, type EngineReader } from '@tracemark/watermark';

export type ScoringModel = Watermark | EngineReader;

/** The Watermark of a payload spec, else undefined (engine specs never carry a payload). */
export function payloadWatermark(m: ScoringModel): Watermark | undefined {
  return m instanceof Watermark && m.spec.payload !== null ? m : undefined;
}
