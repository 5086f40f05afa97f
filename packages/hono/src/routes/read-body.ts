import { oauthErrorResponse } from '../oauth-error-response.ts';
import { readParams } from '../read-params.ts';

/**
 * The parameters of an OAuth request body, or the error answer: 413 over 16 KiB, otherwise 400
 * `invalid_request` with `hint` (what this route expects). @internal
 */
export async function readBody(request: Request, hint: string): Promise<Record<string, string> | Response> {
  const read = await readParams(request);
  if (!('error' in read)) return read.params;
  return read.error === 'too_large'
    ? oauthErrorResponse(413, 'invalid_request', 'The request body is larger than 16 KiB.')
    : oauthErrorResponse(400, 'invalid_request', hint);
}
