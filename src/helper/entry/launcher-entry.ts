/** `node rewind-helper.cjs COMMAND …`: see ./launcher.ts. */
import { launch } from './launcher';

launch(__dirname, process.argv.slice(2), process.env.REWIND_CODE_CACHE_DIR);
