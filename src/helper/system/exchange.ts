import { runCommand, CommandError } from './run-command';

/**
 * Swaps two paths on one filesystem in a single step (renameat2 with
 * RENAME_EXCHANGE), so that each name always holds one whole thing: the
 * kernel's atomic exchange, which btrfs does between a folder and a
 * subvolume. Node has no call for it: coreutils' `mv --exchange` (9.5, Fedora
 * 41) does it; older systems get it from Perl's syscall().
 */
const RENAMEAT2: Partial<Record<string, number>> = { x64: 316, arm64: 276, riscv64: 276, loong64: 276, ppc64: 357, s390x: 347, ia32: 353, arm: 382 };
const AT_FDCWD = -100;
const RENAME_EXCHANGE = 2;

const PERL = `my ($a, $b) = @ARGV; syscall(${RENAMEAT2[process.arch] ?? -1}, ${AT_FDCWD}, $a, ${AT_FDCWD}, $b, ${RENAME_EXCHANGE}) == 0 or die "$!\\n";`;

let mvExchanges: boolean | undefined;

export async function exchangePaths(a: string, b: string): Promise<void> {
  if (mvExchanges !== false) {
    try {
      await runCommand('mv', ['--exchange', '--no-target-directory', '--', a, b]);
      mvExchanges = true;
      return;
    } catch (error) {
      // An older mv does not know the option: it refuses before doing anything.
      if (!(error instanceof CommandError && /unrecognized option|invalid option/.test(error.stderr))) throw error;
      mvExchanges = false;
    }
  }
  if (RENAMEAT2[process.arch] === undefined) throw new Error(`exchanging two folders needs coreutils 9.5 (mv --exchange) on ${process.arch}`);
  await runCommand('perl', ['-e', PERL, '--', a, b]);
}
