import { command } from '../command';

export const daemon = command({
  name: 'daemon',
  synopsis: '',
  summary: 'serve the Rewind D-Bus interface on the system bus',
  options: ['idle-seconds'],
  // It prints nothing, and stays until it is idle; it sets its own exit code.
  run: async ({ values, paths }) => {
    const { runDaemon } = await import('../../dbus/daemon');
    await runDaemon({ ...paths, idleSeconds: Number(values['idle-seconds']) });
  },
});
