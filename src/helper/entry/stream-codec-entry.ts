/**
 * The stream codec's own bundle (rewind-stream-codec.cjs, next to the
 * helper's): it runs once per transfer in the middle of the pipe, and a
 * bundle holding only the codec starts much sooner than the whole helper
 * would. Called as
 * `node rewind-stream-codec.cjs stream-codec OPTIONS_JSON`, the same words as
 * the helper's own verb, so the pipe reads the same either way.
 */
import { codecProcessMain } from '../codec/send-stream-process';

process.exitCode = codecProcessMain(process.argv.slice(process.argv[2] === 'stream-codec' ? 3 : 2));
