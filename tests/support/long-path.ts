/**
 * A relative path of exactly `length` bytes below `top`, made of 200-byte
 * folder names and a file name that makes up the rest: under PATH_MAX (4,096
 * with its NUL) for a `length` up to 4,095, and longer than any path a tool
 * can name once a mount point is put before it.
 */
export function longPath(length: number, top = 'alice'): string {
  const parts: string[] = [top];
  let used = top.length;
  while (length - used > 201 + 20) {
    parts.push('d'.repeat(200));
    used += 201;
  }
  parts.push('f'.repeat(length - used - 1));
  return parts.join('/');
}
