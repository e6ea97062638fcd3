/**
 * File and process I/O shared by the libraries and the CLI: one-line errors that carry
 * an exit code, atomic writes, spec and key loading (never printing key material).
 */
export { CliError, EXIT_FAILURE, EXIT_USAGE, usage, failure, firstLine, asCliError } from './errors.js';
export {
  readTextFile,
  ioMessage,
  exists,
  writeFileAtomic,
  fsyncDir,
  writeSecretFile,
  warnIfShared,
  warn,
  setWarningSink,
  parseJsonl,
  readJsonlTexts,
  readStdin,
} from './files.js';
export type { JsonlRecord, WarningSink } from './files.js';
export { loadSpec, loadKey, loadAnySpec, loadAnyKey, specId, sha256Hex } from './keys.js';
export { jsonReplacer } from './json.js';
