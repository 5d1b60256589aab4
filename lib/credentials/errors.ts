/**
 * Why a provider could not hand out credentials. `CredentialsNotFound` lets `chain` move on to the next
 * provider; every other code stops the chain, because the source exists but is broken (e.g. STS refused).
 */
export type CredentialsErrorCode = 'CredentialsNotFound' | 'CredentialsExpired' | 'AssumeRoleFailed';

export class CredentialsError extends Error {
  readonly code: CredentialsErrorCode;

  constructor(code: CredentialsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialsError';
    this.code = code;
  }
}

export function isCredentialsNotFound(error: unknown): boolean {
  return error instanceof CredentialsError && error.code === 'CredentialsNotFound';
}
