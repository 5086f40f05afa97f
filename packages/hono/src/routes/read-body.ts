import { MAX_BODY_BYTES } from '../max-body-bytes.ts';
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
    ? oauthErrorResponse(
        413,
        'invalid_request',
        `The request body is larger than ${MAX_BODY_BYTES / 1024} KiB.`,
      )
    : oauthErrorResponse(400, 'invalid_request', hint);
}
