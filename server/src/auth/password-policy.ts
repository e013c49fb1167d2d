import type { MatchExtended, ZxcvbnFactory } from '@zxcvbn-ts/core';

/** Shortest and longest password accepted for a built-in user. */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
/**
 * zxcvbn's score (0–4) a password needs: 3 means it resists about 10^8 guesses and more, which
 * with scrypt and the sign-in throttle is out of reach online and slow offline.
 */
export const PASSWORD_MIN_SCORE = 3;
/** Fewer different characters than this is a repetition (`aaaaaaaaaaaa`, twelve spaces, `abcabcabcabc`). */
const MIN_DISTINCT_CHARACTERS = 6;
/** A user name this long or longer may not appear inside the password. */
const NAME_INSIDE_FROM = 3;
let estimator: Promise<ZxcvbnFactory> | null = null;

/**
 * zxcvbn-ts with its language-independent lists (common passwords, keyboard layouts, common
 * words, names). Imported on first use, since its lists take about 20 MB: a process that never
 * sets a password never loads them.
 */
function loadEstimator(): Promise<ZxcvbnFactory> {
  estimator ??= (async () => {
    const [{ ZxcvbnFactory }, common] = await Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]);
    return new ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs, useLevenshteinDistance: true });
  })().catch((error: unknown) => {
    estimator = null;
    throw error;
  });
  return estimator;
}

/** What makes the weakest part of a password guessable, in words (never quoting it). */
function weakness(match: MatchExtended): string {
  switch (match.pattern) {
    case 'repeat':
      return 'repeats a short part';
    case 'sequence':
      return 'is mostly a sequence like abcd or 9876';
    case 'spatial':
      return 'is mostly a row or pattern of keys on the keyboard';
    case 'date':
    case 'regex':
      return 'leans on a date or a recent year';
    case 'dictionary':
      return 'dictionaryName' in match && match.dictionaryName === 'userInputs' ? 'is built on the user name' : 'is built on a common password, word or name';
    case 'wordSequence':
      return 'is a common phrase';
    default:
      return 'is short for the kinds of characters it uses';
  }
}

/**
 * Why a new password is not acceptable, or null: its length, too few different characters, the
 * user name in it, or zxcvbn's estimate that it is easy to guess (common passwords, keyboard
 * patterns, sequences, dates). Each answer says what is wrong; none includes the password.
 */
export async function passwordProblem(password: string, userName: string): Promise<string | null> {
  if (password.length < PASSWORD_MIN_LENGTH) return `The password must have at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (password.length > PASSWORD_MAX_LENGTH) return `The password must have at most ${PASSWORD_MAX_LENGTH} characters.`;
  if (new Set(password).size < MIN_DISTINCT_CHARACTERS) return `The password must use at least ${MIN_DISTINCT_CHARACTERS} different characters; repeated characters are easy to guess.`;
  const lower = password.toLowerCase();
  const name = userName.toLowerCase();
  if (lower === name) return 'The password must not be the user name.';
  if (name.length >= NAME_INSIDE_FROM && lower.includes(name)) return 'The password must not contain the user name.';
  const estimate = (await loadEstimator()).check(password, [userName]);
  if (estimate.score >= PASSWORD_MIN_SCORE) return null;
  const guessable = estimate.sequence.filter((match) => match.pattern !== 'bruteforce' && match.pattern !== 'separator');
  const weakest = guessable.reduce<MatchExtended | null>((longest, match) => (!longest || match.token.length > longest.token.length ? match : longest), null);
  return `The password is too easy to guess: it ${weakest ? weakness(weakest) : 'is short for the kinds of characters it uses'}. Use a longer passphrase of unrelated words, or a generated password.`;
}
