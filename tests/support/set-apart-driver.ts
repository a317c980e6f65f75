import { setApart, type SetApartStep } from '../../src/helper/system/set-apart';

/**
 * Runs setApart in a process of its own, for tests/system/set-apart.test.ts:
 * `node driver.cjs FOLDER apart|join [STEP [STATE_DIR]]` kills itself with
 * SIGKILL right after STEP ("" never), the way a crash or a power cut would
 * stop the helper there.
 * Prints the answer as JSON, or the error's message on stderr (exit 1).
 */
const [folder, direction, stopAt, stateDir] = process.argv.slice(2);
setApart(folder, direction === 'join' ? 'join' : 'apart', {
  ...(stateDir ? { stateDir } : {}),
  onStep(step: SetApartStep) {
    if (step === stopAt) process.kill(process.pid, 'SIGKILL');
  },
}).then(
  (result) => console.log(JSON.stringify(result)),
  (error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  },
);
