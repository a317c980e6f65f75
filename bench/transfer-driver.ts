// One transfer exactly as the helper runs it (src/helper/engine/transfer.ts:
// btrfs send | node HELPER_BUNDLE stream-codec … | btrfs receive, three
// processes handed each other's pipes), for bench/codec-throughput.mjs.
// Usage: node transfer-driver.mjs HELPER_BUNDLE SNAPSHOT RECEIVE_DIR [SEND_ARGS…]
// Prints {"type":"done","stats":{…}} on stderr, like the codec.
import { sendReceive, type CodecSummary } from '../src/helper/engine/transfer';

const [helperBundle, snapshot, receiveDir, ...sendArgs] = process.argv.slice(2);
let codec: CodecSummary | undefined;
const bytes = await sendReceive({ snapshot, receiveDir, sendArgs, helperBundle, codecAlways: true, onCodecDone: (summary) => (codec = summary) });
process.stderr.write(`${JSON.stringify({ type: 'done', stats: { bytesIn: bytes, bytesOut: bytes, ...codec } })}\n`);
