import type { HelperStatus, Inventory } from '../results';
import { command } from '../command';
import { describeInventory, describeStatus } from '../format/status';

export const status = command<HelperStatus>({
  name: 'status',
  synopsis: '',
  summary: 'show the configuration and the last runs',
  options: [],
  run: async ({ paths }) => {
    const { readStatus } = await import('../../engine/status');
    return readStatus(paths.configPath, paths.stateDir, false);
  },
  output: (result) => ({ json: result, human: describeStatus(result) }),
});

export const list = command<Inventory>({
  name: 'list',
  synopsis: '',
  summary: "list local snapshots and each destination's backups",
  options: [],
  run: async ({ paths }) => {
    const [{ withRunContext }, { takeInventory }] = await Promise.all([import('../../engine/run-context'), import('../../engine/inventory')]);
    return withRunContext(paths, false, takeInventory);
  },
  output: (inventory) => ({ json: inventory, human: describeInventory(inventory), code: inventory.problems.length > 0 ? 1 : 0 }),
});
