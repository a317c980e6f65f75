/**
 * A child process's captured output as text. execa gives a Uint8Array (not a
 * Buffer) for `encoding: 'buffer'`, and `String()` of one is its byte values
 * ("40,115,…"): decode it instead. Text is returned as it is; nothing is "".
 */
export function outputText(output: unknown): string {
  if (output instanceof Uint8Array) return Buffer.from(output.buffer, output.byteOffset, output.byteLength).toString('utf8');
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.map(outputText).join('\n');
  return '';
}
