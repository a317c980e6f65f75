import type { Command } from '../command';
import { daemon } from './daemon';
import { diff } from './diff';
import { discover, keepBackingUp } from './discover';
import { drill } from './drill';
import { clean, prune } from './prune';
import { restore, restoreSubvolume } from './restore';
import { run } from './run';
import { schedule } from './schedule';
import { joinCommand, setApartCommand } from './set-apart';
import { sshProbe, sshSetup, sshTrust } from './ssh';
import { list, status } from './status';
import { newKey, verify } from './stream-files';

/** The admin commands, in the order of the usage text. (`serve` and `accept-key` have a command line of their own: ../../serve/cli.ts.) */
export const COMMANDS: readonly Command[] = [daemon, run, schedule, status, list, prune, clean, discover, restore, restoreSubvolume, keepBackingUp, verify, drill, newKey, sshSetup, sshProbe, sshTrust, diff, setApartCommand, joinCommand];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
