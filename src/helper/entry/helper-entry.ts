/**
 * The helper bundle's entry point. The stream codec runs once per transfer
 * in the middle of the pipe (../engine/transfer-pipe.ts) and must start fast and leave
 * its stdin and stdout alone: it loads only the codec, before anything else
 * of the helper is even evaluated. Every other command is ../cli/main.
 */
if (process.argv[2] === 'stream-codec') {
  void import('../codec/send-stream-process').then(({ codecProcessMain }) => {
    process.exitCode = codecProcessMain(process.argv.slice(3));
  });
} else {
  void import('../cli/main');
}

export {};
