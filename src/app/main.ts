import System from 'system';
import { RewindApplication } from './application';
import { initI18n } from './i18n';
import { installRestoreOption } from './restore-browser/versions-actions';

initI18n();
const app = new RewindApplication();
installRestoreOption(app);
// GJS 1.74 has no runAsync(); run() keeps the main loop (and promises) going.
const status = app.run([System.programInvocationName, ...System.programArgs]);
System.exit(status);
