// stdin → the send-stream codec → stdout, as the helper would run it in a transfer.
// Usage (after bundling, see codec-throughput.mjs):
//   node send-stream-cat.mjs [--process] [--checksum js|native] [--passthrough] [--drop-selinux]
// Default: the in-process Transform (SendStreamPipe) between process.stdin and
// process.stdout. --process: the codec process loop (blocking reads and writes
// into one reused buffer, src/helper/codec/send-stream-process.ts). --passthrough: a
// plain PassThrough Transform, the cost of Node's streams alone.
import { PassThrough, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SendStreamPipe } from '../src/helper/codec/send-stream-pipe';
import { codecProcessMain } from '../src/helper/codec/send-stream-process';

const args = process.argv.slice(2);
const checksum = args.includes('--checksum') ? (args[args.indexOf('--checksum') + 1] as 'js' | 'native') : 'auto';
const dropSelinux = args.includes('--drop-selinux');
if (args.includes('--process')) {
  process.exitCode = codecProcessMain([JSON.stringify({ checksum, selinux: dropSelinux ? 'drop' : 'keep', progressIntervalMs: 1e9 })]);
} else {
  let stage: Transform;
  if (args.includes('--passthrough')) {
    stage = new PassThrough();
  } else {
    stage = new SendStreamPipe({ checksum, xattrs: dropSelinux ? { selinux: { mode: 'drop' } } : undefined });
  }
  await pipeline(process.stdin, stage, process.stdout);
  if (stage instanceof SendStreamPipe) process.stderr.write(`${JSON.stringify({ type: 'done', stats: stage.stats })}\n`);
}
