/** Client-side checks that mirror the server's, so the person sees the problem before launching. */

const PASSWORD = /^[A-Za-z0-9\-_.~]{8,128}$/;

/** Null when fine; otherwise what is wrong with the display name. */
export function validateInstanceName(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed.length === 0) return 'Give the instance a name.';
  if (trimmed.length > 64) return 'At most 64 characters.';
  return null;
}

/** Null when empty (a password is generated) or valid; otherwise why it is refused. */
export function validatePassword(password: string): string | null {
  if (password === '') return null;
  if (password.length < 8) return 'At least 8 characters.';
  if (password.length > 128) return 'At most 128 characters.';
  if (!PASSWORD.test(password)) return 'Use only letters, digits and - _ . ~ (they are safe in every connection string).';
  return null;
}
