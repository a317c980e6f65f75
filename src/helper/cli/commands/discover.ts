import type { Discovery } from '../../../core/discovery';
import { command } from '../command';
import { describeDiscovery } from '../format/discover';

export const discover = command<Discovery>({
  name: 'discover',
  synopsis: '',
  summary: `find every Rewind backup on the connected disks, with no
configuration (after a reinstall, or from a live USB); only reads`,
  options: [],
  run: async ({ paths }) => {
    const { discoverBackups } = await import('../../recovery/discover');
    return discoverBackups({ runtimeDir: paths.runtimeDir });
  },
  output: (discovery) => ({ json: discovery, human: describeDiscovery(discovery) }),
});
