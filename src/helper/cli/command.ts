import type { ErrorCode } from '../../core/errors';
import type { OptionName, OptionValues } from './options';

/** What a command gets: the parsed options, the words after its name, and the paths every command uses. */
export interface CommandArgs {
  values: OptionValues;
  operands: string[];
  paths: { configPath: string; stateDir: string; runtimeDir: string };
}

/** What a command prints on stdout (its JSON with --json, else the text) and how it exits. */
export interface Output {
  json: unknown;
  human: string;
  /** Default 0. */
  code?: number;
  /**
   * Exit as soon as it is printed, without the heap's teardown: a real share
   * of a short backup run.
   */
  exitAtOnce?: boolean;
}

/**
 * One entry of the command table (./commands/index.ts). The usage text is
 * made from the entries; `run` imports the modules it needs with
 * `await import(...)`, so that a command loads only its own (a backup run from
 * the timer does not pay for the D-Bus library or the server side).
 */
export interface Command<R = unknown> {
  name: string;
  /** What follows the name in the usage text; a line break continues it under the name's end. */
  synopsis: string;
  /** What it does, for the usage text, one line of it per line. */
  summary: string;
  /** The options it reads beyond the common ones (./options.ts). */
  options: readonly OptionName[];
  /** Options without which it is wrong usage (exit 2). */
  required?: readonly OptionName[];
  /** Words it needs after its name: how many, and what the message calls them when they are not that many. */
  operands?: { count: number; name: string };
  /** Errors that are the user's to fix: printed as their detail alone (exit 1). */
  userErrors?: readonly ErrorCode[];
  run(args: CommandArgs): Promise<R>;
  /** What it prints, from what `run` resolved to; without it the command prints nothing and sets its own exit code. */
  output?(result: R, args: CommandArgs): Output;
}

/** Declares an entry, checking `output` against what `run` resolves to. */
export function command<R>(entry: Command<R>): Command {
  return entry as Command;
}
