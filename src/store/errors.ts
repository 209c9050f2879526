import { CutoverError } from '../errors.ts';

/** The state store could not be opened or read (a newer schema, a damaged file, a permission problem). */
export class StoreError extends CutoverError {
  constructor(message: string, cause?: unknown) {
    super('STORE_UNAVAILABLE', `${message}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      status: 500,
      hint: 'check that the state dir is writable and was not written by a newer cutover',
      cause,
    });
  }
}
