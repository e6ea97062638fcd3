/**
 * Errors of the queue layer. `usage` errors are the caller's input (a bad --queue URL, a
 * Redis that cannot be reached, a shared directory that is missing, a corpus the detector
 * rejects): the CLI prints their one-line message and exits 2. `failure` errors happen
 * during a run (a job that failed after its retries): exit 1.
 */
export type ScanQueueErrorKind = 'usage' | 'failure';

export class ScanQueueError extends Error {
  override name = 'ScanQueueError';
  constructor(
    readonly kind: ScanQueueErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export const queueUsage = (message: string): ScanQueueError => new ScanQueueError('usage', message);
export const queueFailure = (message: string): ScanQueueError => new ScanQueueError('failure', message);
