import type { VerifyReport } from '../results';
import { command } from '../command';
import { describeNewKey, describeVerify } from '../format/stream-files';

export const verify = command<VerifyReport[]>({
  name: 'verify',
  synopsis: '[--destination ID] [--key FILE]',
  summary: `check every stream file (checksums, every command's CRC,
and what a restore would refuse) without restoring anything; names the
first bad file`,
  options: ['destination', 'key'],
  run: async ({ values, paths }) => {
    const [{ withRunContext }, { verifyDestinations }] = await Promise.all([import('../../engine/run-context'), import('../../destinations/stream-files/verify')]);
    return withRunContext(paths, true, (context) => verifyDestinations(context, values.destination, values.key));
  },
  output: (reports) => ({ json: reports, human: describeVerify(reports), code: reports.some((r) => r.problem || !r.connected) ? 1 : 0 }),
});

export const newKey = command<{ file: string; identity: string; recipient: string }>({
  name: 'new-key',
  synopsis: '--destination ID',
  summary: `make the encryption key of a stream-file destination and
show its recovery key, once`,
  options: ['destination'],
  required: ['destination'],
  run: async ({ values, paths }) => {
    const { createKey } = await import('../../destinations/stream-files/age-key');
    return createKey(paths.stateDir, values.destination!);
  },
  output: (key, { values }) => ({ json: key, human: describeNewKey(values.destination!, key) }),
});
