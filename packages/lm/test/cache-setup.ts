/**
 * vitest globalSetup (vitest.config.ts): the test suite's model cache.
 *
 * - Where: TRACEMARK_CACHE_DIR when the caller set it, else `<repo>/.cache/tracemark`
 *   (gitignored), never the per-user default (~/.cache/tracemark). Set on process.env
 *   here, before the test forks start, so they and the CLIs they spawn inherit it:
 *   one cache shared by every test file of a run, and by later runs in this clone.
 * - Warm: the default reference model is loaded (trained on a cold cache) once, here,
 *   so no test races to train it and no CLI test sees the one-line "training the
 *   reference model" notice on its stderr.
 */
import { fileURLToPath } from 'node:url';

export default async function setup(): Promise<void> {
  process.env.TRACEMARK_CACHE_DIR ||= fileURLToPath(new URL('../../../.cache/tracemark', import.meta.url));
  const { loadReferenceModel } = await import('@tracemark/lm');
  loadReferenceModel();
}
