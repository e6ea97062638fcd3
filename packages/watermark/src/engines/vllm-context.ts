// vLLM's detector input (detector.py _prepare_inputs): the context of position i is the
// w generated tokens before it, oldest first, -1 before the first token; prompt tokens
// never enter. With dedup on, a position is scored only the first time its exact
// context tuple (pads included, token excluded) appears in the text.

export interface VllmPositionContext {
  readonly index: number;
  readonly token: number;
  readonly context: number[];
  readonly scored: boolean;
}

export function vllmContexts(tokens: ArrayLike<number>, width: number, deduplicate = true): VllmPositionContext[] {
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`context_width must be a positive integer (got ${width})`);
  const seen = new Set<string>();
  const out: VllmPositionContext[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const context: number[] = [];
    for (let j = i - width; j < i; j++) context.push(j < 0 ? -1 : tokens[j]!);
    let scored = true;
    if (deduplicate) {
      const k = context.join(',');
      if (seen.has(k)) scored = false;
      else seen.add(k);
    }
    out.push({ index: i, token: tokens[i]!, context, scored });
  }
  return out;
}
