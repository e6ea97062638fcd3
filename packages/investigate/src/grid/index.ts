/**
 * The radioactivity grid behind docs/RADIOACTIVITY.md (ρ × h × scheme × queries, filters,
 * attribution, sequential tests) as library calls: run it, render its tables, write them.
 * The statistics it measures are @tracemark/detector's; this is only the experiment.
 */
export { FULL_SIZES, QUICK_SIZES } from './definition.js';
export type { GridSizes, GridScheme, AttributionSizes, SequentialSizes } from './definition.js';
export { runRadioactivityGrid } from './run.js';
export type { RadioactivityGridOptions } from './run.js';
export { renderRadioactivityDoc } from './render.js';
export { spliceResultsSection, resultsJson } from './doc.js';
export type * from './types.js';
