/**
 * Undo steps for everything a test creates (mounts, loop devices, users,
 * processes, files outside its temp dir), run newest first. Each step runs
 * even when an earlier one failed, so a failing test still leaves nothing.
 */
export class Cleanup {
  private readonly steps: Array<{ what: string; undo: () => unknown }> = [];

  add(what: string, undo: () => unknown): void {
    this.steps.push({ what, undo });
  }

  async run(): Promise<void> {
    const problems: string[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.undo();
      } catch (error) {
        problems.push(`${step.what}: ${(error as Error).message}`);
      }
    }
    if (problems.length > 0) throw new Error(`cleanup left something behind:\n${problems.join('\n')}`);
  }
}
