/**
 * Errors with a destination: ApiError becomes an OpenAI-shaped HTTP error body;
 * CliError (from the detector's io) becomes a one-line message and an exit code.
 */

/** OpenAI's error body: { error: { message, type, param, code } }. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}
