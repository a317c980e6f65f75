/**
 * `work`'s result, or undefined when it takes longer than `ms`: for reads
 * that a dead disk or a hung share can block for minutes, whose answer is
 * not worth waiting for. The work itself is not cancelled.
 */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
