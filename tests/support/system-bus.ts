import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { APP_ID, HELPER_BUS_NAME } from '../../src/core/ids';
import type { Cleanup } from './cleanup';
import { sh, shResult, startProcess, stopProcess, waitFor } from './exec';

/**
 * A private system bus with the real polkitd, set up like the real one but
 * listening in the test's own directory: the helper is D-Bus activated from a
 * service file made from data/, under the bus policy from data/, and polkit
 * reads the real .policy from data/ plus a rules file that grants or denies.
 * Clients reach it through DBUS_SYSTEM_BUS_ADDRESS.
 */
function findRepo(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

/** The checkout, found from this file (also when bundled into dist/). */
export const REPO = findRepo(import.meta.dirname);

export interface PolkitRule {
  user: string;
  /** Full action id, or a prefix ending in "." */
  action: string;
  result: 'YES' | 'NO' | 'AUTH_ADMIN';
}

export interface SystemBusOptions {
  /** Command line the bus activates the helper with. */
  helperCommand: string[];
  rules: PolkitRule[];
}

export interface SystemBus {
  address: string;
  env: NodeJS.ProcessEnv;
  /** Output of dbus-daemon, polkitd and the activated helper, for failure messages. */
  log: () => string;
  /** polkitd's process, for tests that stop it (a slow authorisation, as when a password is typed). */
  polkitdPid: number;
}

const POLKIT_ACTIONS_DIR = '/usr/share/polkit-1/actions';
const POLKIT_RULES_DIR = '/etc/polkit-1/rules.d';

function busConfig(dir: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${dir}/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <servicedir>${dir}/services</servicedir>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <!-- polkitd runs as root here instead of as its own user. -->
  <policy user="root">
    <allow own="org.freedesktop.PolicyKit1"/>
  </policy>
  <include>/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf</include>
  <include>${dir}/${HELPER_BUS_NAME}.conf</include>
</busconfig>
`;
}

function rulesFile(rules: PolkitRule[]): string {
  const checks = rules
    .map((r) => {
      const match = r.action.endsWith('.') ? `action.id.indexOf(${JSON.stringify(r.action)}) === 0` : `action.id === ${JSON.stringify(r.action)}`;
      return `  if (subject.user === ${JSON.stringify(r.user)} && ${match}) return polkit.Result.${r.result};`;
    })
    .join('\n');
  return `polkit.addRule(function (action, subject) {\n${checks}\n});\n`;
}

export async function startSystemBus(cleanup: Cleanup, dir: string, options: SystemBusOptions): Promise<SystemBus> {
  const busDir = path.join(dir, 'bus');
  mkdirSync(path.join(busDir, 'services'), { recursive: true });
  chmodSync(dir, 0o755);
  chmodSync(busDir, 0o755);
  const unique = randomBytes(4).toString('hex');

  // The helper's real service file and bus policy, with Exec pointing at this checkout.
  const service = readFileSync(path.join(REPO, `data/${HELPER_BUS_NAME}.service.in`), 'utf8').replace(
    /^Exec=.*$/m,
    `Exec=${options.helperCommand.join(' ')}`,
  );
  writeFileSync(path.join(busDir, 'services', `${HELPER_BUS_NAME}.service`), service);
  writeFileSync(path.join(busDir, `${HELPER_BUS_NAME}.conf`), readFileSync(path.join(REPO, `data/${HELPER_BUS_NAME}.conf`)));
  const configFile = path.join(busDir, 'system.conf');
  writeFileSync(configFile, busConfig(busDir));

  const bus = startProcess('dbus-daemon', ['--config-file', configFile, '--nofork', '--nopidfile', '--print-address=1']);
  cleanup.add('stop the test system bus', () => stopProcess(bus.child));
  const address = `unix:path=${busDir}/system_bus_socket`;
  await waitFor('the test system bus', () => existsSync(`${busDir}/system_bus_socket`) || undefined);
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: address };

  const policyFile = path.join(POLKIT_ACTIONS_DIR, `${APP_ID}.test-${unique}.policy`);
  writeFileSync(policyFile, readFileSync(path.join(REPO, `data/${APP_ID}.policy.in`)));
  cleanup.add(`remove ${policyFile}`, () => rmSync(policyFile, { force: true }));
  const rulesPath = path.join(POLKIT_RULES_DIR, `10-rewind-test-${unique}.rules`);
  writeFileSync(rulesPath, rulesFile(options.rules));
  cleanup.add(`remove ${rulesPath}`, () => rmSync(rulesPath, { force: true }));

  const polkitd = startProcess('/usr/lib/polkit-1/polkitd', ['--no-debug'], { env });
  cleanup.add('stop polkitd', () => stopProcess(polkitd.child));
  await waitFor('polkitd on the test bus', () => {
    const r = shResult('dbus-send', ['--system', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.PolicyKit1'], { env });
    return r.stdout.includes('boolean true') || undefined;
  });
  // The activated helper is a child of the bus; make sure none outlives the test.
  cleanup.add('stop helpers started by the bus', () => {
    shResult('pkill', ['-KILL', '-f', dir]);
  });
  return { address, env, log: () => `${bus.output()}\n${polkitd.output()}`, polkitdPid: polkitd.child.pid! };
}

/** Runs a command as `user` on the test bus. */
export function asUser(user: string, bus: SystemBus, file: string, args: string[]): { status: number; stdout: string; stderr: string } {
  return shResult('runuser', ['-u', user, '--', 'env', `DBUS_SYSTEM_BUS_ADDRESS=${bus.address}`, file, ...args]);
}

export { sh };
