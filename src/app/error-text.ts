import { isPlainText } from '../core/plain-text';
import type { ErrorParams } from '../core/error-reasons';
import { codeWords, reasonWords, type Words } from './error-words';

/**
 * What a screen says about a helper's error. The helper sends its code, its
 * own English sentence (for the CLI and the journal too) and, for the errors
 * people meet, a reason with parameters (src/core/error-reasons.ts). In
 * order:
 * 1. the app's sentence for the reason, when the user's language has it;
 * 2. the app's sentence for the code, when the user's language has it;
 * 3. the helper's sentence, when it is plain words (src/core/plain-text.ts):
 *    English, or a code this version does not know;
 * 4. the app's sentence for the reason, then for the code, in English: a
 *    helper sentence with a device path, a snapshot name or btrfs words
 *    belongs to the CLI and the history's details;
 * 5. a sentence that something went wrong.
 */
export interface HelperError {
  code?: string;
  message?: string;
  reason?: string;
  params?: ErrorParams;
}

/** The words for an error and whether they are in the user's language. */
export function errorWords(error: HelperError | undefined): Words {
  const worded = error?.reason ? reasonWords(error.reason, error.params) : undefined;
  if (worded?.translated) return worded;
  const sentence = codeWords(error?.code);
  if (sentence?.translated) return sentence;
  const message = error?.message?.trim();
  if (message && isPlainText(message)) return { text: message, translated: false };
  return worded ?? sentence ?? codeWords('Internal')!;
}

/** The sentence a screen shows for an error of `code` alone. */
export function sentenceFor(code: string | undefined): string {
  return (codeWords(code) ?? codeWords('Internal')!).text;
}

/**
 * What a failed run says: the app's words for its first error in the user's
 * language; else all of its errors' sentences (`message`) when they are plain
 * words; else `otherwise`, or the words for its first error.
 */
export function failureText(message: string | undefined, first: HelperError | undefined, otherwise?: string): string {
  const words = errorWords(first);
  if (words.translated) return words.text;
  if (message && isPlainText(message)) return message;
  return otherwise ?? words.text;
}

/** The sentence a screen shows for a helper's error. */
export function screenMessage(error: HelperError | undefined): string {
  return errorWords(error).text;
}
