import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SendStreamParser, type SendCommand, type StreamHeader } from '../../src/core/send-stream/parser';

/** The streams made by tests/fixtures/send-streams/make-golden.sh with a real btrfs send. */
export const GOLDEN = [
  'v1-full',
  'v1-incremental',
  'v1-nodata',
  'two-subvolumes',
  'v2-compressed-full',
  'v2-incremental',
  'v2-nodata',
] as const;
export type GoldenName = (typeof GOLDEN)[number];

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/send-streams');

export function golden(name: GoldenName): Uint8Array {
  return new Uint8Array(readFileSync(path.join(dir, `${name}.stream`)));
}

export function goldenDump(name: GoldenName): string {
  return readFileSync(path.join(dir, `${name}.dump`), 'utf8');
}

export interface Parsed {
  headers: StreamHeader[];
  commands: SendCommand[];
}

/** Parses a whole input, pushed in pieces of `chunk` bytes. */
export function parseAll(bytes: Uint8Array, chunk = bytes.length || 1): Parsed {
  const parsed: Parsed = { headers: [], commands: [] };
  const parser = new SendStreamParser({
    onHeader: (h) => parsed.headers.push(h),
    onCommand: (c) => parsed.commands.push(c),
  });
  for (let at = 0; at < bytes.length; at += chunk) parser.push(bytes.subarray(at, at + chunk));
  parser.end();
  return parsed;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A seeded PRNG (mulberry32): the same seed gives the same run. */
export { mulberry32 as prng } from '../support/prng';
