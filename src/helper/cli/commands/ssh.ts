import type { HostProbe, SshSetup } from '../results';
import { command } from '../command';
import { describeProbe, describeSetup, describeTrust } from '../format/ssh';

/** --port as the request parsers take it: a number when it is one, else as written (and refused there). */
function port(value: string | undefined): number | string | undefined {
  return value === undefined ? undefined : /^\d+$/.test(value) ? Number(value) : value;
}

export const sshSetup = command<SshSetup>({
  name: 'ssh-setup',
  synopsis: '--path DIR [--user NAME]',
  summary: `make this computer's SSH key if needed, and show the line
to install on a server whose backup folder is DIR, for the account
NAME there (default root)`,
  options: ['path', 'user'],
  run: async ({ values, paths }) => {
    const { parseSetupRequest, setup } = await import('../../destinations/ssh/setup');
    return setup(paths, parseSetupRequest(JSON.stringify({ path: values.path, user: values.user })));
  },
  output: (result) => ({ json: result, human: describeSetup(result) }),
});

export const sshProbe = command<HostProbe>({
  name: 'ssh-probe',
  synopsis: '--host H [--port P]',
  summary: "show the server's host key fingerprint and whether it is trusted",
  options: ['host', 'port'],
  run: async ({ values, paths }) => {
    const { parseProbeRequest, probe } = await import('../../destinations/ssh/setup');
    return probe(paths, parseProbeRequest(JSON.stringify({ host: values.host, port: port(values.port) })));
  },
  output: (result) => ({ json: result, human: describeProbe(result), code: result.state === 'known' ? 0 : 1 }),
});

export const sshTrust = command<HostProbe>({
  name: 'ssh-trust',
  synopsis: '--host H [--port P] --fingerprint SHA256:...',
  summary: "trust the server's key, only if it has that fingerprint",
  options: ['host', 'port', 'fingerprint'],
  run: async ({ values, paths }) => {
    const { parseTrustRequest, trust } = await import('../../destinations/ssh/setup');
    return trust(paths, parseTrustRequest(JSON.stringify({ host: values.host, port: port(values.port), fingerprint: values.fingerprint })));
  },
  output: (result) => ({ json: result, human: describeTrust(result) }),
});
