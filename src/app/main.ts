import System from 'system';
import { RewindApplication } from './application';
import { initI18n } from './i18n';

initI18n();
const app = new RewindApplication();
// GJS 1.74 has no runAsync(); run() keeps the main loop (and promises) going.
const status = app.run([System.programInvocationName, ...System.programArgs]);
System.exit(status);
