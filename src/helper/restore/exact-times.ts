import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { RewindError } from '../../core/errors';
import type { Timespec } from '../../core/send-stream/parser';

/**
 * Sets access and modification times to the nanosecond, many entries per
 * request and one process for a whole restore (./extracted-tree).
 *
 * Node cannot do it: fs.utimes and fs.lutimes take seconds as a double and
 * libuv keeps whole microseconds, and a time before 1970 becomes "now".
 * `touch -d @S.N` is exact but sets one time of one file per run: two runs
 * per restored entry, which was most of a folder's restore time. So one Perl
 * process reads requests on its standard input and makes the utimensat
 * system call itself (syscall(); Perl's own utime is in whole seconds), as
 * ../system/exchange.ts does for renameat2. Each line is
 * `<two struct timespec, hex> <path>`; an empty line ends a request, which
 * is answered "ok" once every time of it is set. The structs are made here,
 * so Perl needs no 64-bit pack and no module.
 *
 * The path's last name is never followed (AT_SYMLINK_NOFOLLOW): the caller
 * gives a name of its own choosing in a folder it holds open, as
 * /proc/<this process>/fd/<n>/<name>, so nothing from a backup is ever
 * resolved by name.
 */
/** utimensat; on 32-bit machines utimensat_time64, which takes the same 64-bit structs. */
const UTIMENSAT: Partial<Record<string, number>> = { x64: 280, arm64: 88, riscv64: 88, loong64: 88, ppc64: 304, s390x: 315, ia32: 412, arm: 412 };
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
/** tv_nsec that leaves a time as it is. */
const UTIME_OMIT = (1 << 30) - 2;

const PERL = (nr: number) =>
  `$| = 1; while (my $line = <STDIN>) { chomp $line; if ($line eq '') { print "ok\\n"; next } ` +
  `my ($times, $path) = split / /, $line, 2; syscall(${nr}, ${AT_FDCWD}, $path, pack('H*', $times), ${AT_SYMLINK_NOFOLLOW}) == 0 or die "$!\\n" }`;

export interface TimesOf {
  /** /proc/<pid>/fd/<n>/<name>, the name one of the caller's own. */
  path: string;
  atime?: Timespec;
  mtime?: Timespec;
}

/** The `struct timespec times[2]` utimensat takes (atime, then mtime; a missing one left as it is), in this machine's byte order, as hex. */
export function timespecPair(atime: Timespec | undefined, mtime: Timespec | undefined, littleEndian = os.endianness() === 'LE'): string {
  const bytes = new DataView(new ArrayBuffer(32));
  for (const [k, t] of [atime, mtime].entries()) {
    bytes.setBigInt64(16 * k, BigInt(t ? Math.trunc(t.sec) : 0), littleEndian);
    // A stream's nanoseconds past 999,999,999 would be refused: they cannot come from a real file.
    bytes.setBigInt64(16 * k + 8, BigInt(t ? Math.min(Math.max(Math.trunc(t.nsec), 0), 999_999_999) : UTIME_OMIT), littleEndian);
  }
  return Buffer.from(bytes.buffer).toString('hex');
}

export class ExactTimes {
  private stderr = '';
  private replies = '';
  private pending: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding('latin1');
    child.stdout!.on('data', (d: string) => {
      this.replies += d;
      for (let end = this.replies.indexOf('\n'); end >= 0; end = this.replies.indexOf('\n')) {
        this.replies = this.replies.slice(end + 1);
        const pending = this.pending;
        this.pending = undefined;
        pending?.resolve();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      const end = (why: string) => {
        this.failure ??= new RewindError('TransferFailed', `Setting the times of the restored files failed: ${this.stderr.trim() || why}.`, {
          advice: 'Check the folder restored into, or restore into a folder on another disk.',
        });
        this.pending?.reject(this.failure);
        this.pending = undefined;
        resolve();
      };
      child.once('error', (error: NodeJS.ErrnoException) => end(error.code === 'ENOENT' ? 'this needs Perl (the perl program), which is not installed here' : error.message));
      child.once('close', (code, signal) => end(signal ? `ended by ${signal}` : `exit ${code}`));
    });
  }

  static start(): ExactTimes {
    const nr = UTIMENSAT[process.arch];
    if (nr === undefined) throw new RewindError('TransferFailed', `Restoring files with their times is not supported on ${process.arch} machines yet.`);
    const child = spawn('perl', ['-e', PERL(nr)], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
    return new ExactTimes(child);
  }

  /** Sets the times of `entries`; resolves once all are set. */
  async set(entries: readonly TimesOf[]): Promise<void> {
    const lines = entries.filter((e) => e.atime || e.mtime).map((e) => {
      if (/[\n\0]/.test(e.path)) throw new Error(`not a path for times: ${JSON.stringify(e.path)}`);
      return `${timespecPair(e.atime, e.mtime)} ${e.path}\n`;
    });
    if (lines.length === 0) return;
    if (this.failure) throw this.failure;
    const done = new Promise<void>((resolve, reject) => (this.pending = { resolve, reject }));
    this.child.stdin!.write(`${lines.join('')}\n`);
    await done;
  }

  /** Ends the process; a failure it met was reported to set() already. */
  async close(): Promise<void> {
    this.child.stdin!.end();
    await this.exited;
  }
}
