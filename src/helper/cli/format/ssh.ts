import type { HostProbe, SshSetup } from '../results';

/** `ssh-setup`: this computer's key, and what to do once on the server. */
export function describeSetup(result: SshSetup): string {
  return [
    `This computer backs up as "${result.host}". Its key:`,
    `  ${result.publicKey}`,
    `On the server, as an administrator, once (backups arrive there as ${result.user}):`,
    `  ${result.installCommand}`,
    `  ${result.folderCommand}`,
    `  ${result.acceptKeyCommand}`,
    `The last command adds this line to ${result.authorizedKeysFile}; you can add it by hand instead:`,
    `  ${result.authorizedKeysLine}`,
  ].join('\n');
}

/** `ssh-probe`: the server's key, whether it is trusted, and what to do when it is not. */
export function describeProbe(result: HostProbe): string {
  const human = [`${result.host} port ${result.port}: ${result.keyType} key ${result.fingerprint}`];
  if (result.state === 'known') human.push('This key is trusted.');
  if (result.state === 'unknown') {
    human.push(
      'This key is not trusted yet. Compare the fingerprint with the one the server shows',
      '(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server), then run:',
      `  rewind-helper ssh-trust --host ${result.host} --port ${result.port} --fingerprint ${result.fingerprint}`,
    );
  }
  if (result.state === 'changed') {
    human.push(
      `WARNING: this is not the key trusted before (${result.pinnedFingerprint}).`,
      'If the server was reinstalled, check the new fingerprint on the server before trusting it;',
      'otherwise someone may be intercepting the connection.',
    );
  }
  return human.join('\n');
}

/** `ssh-trust`: the key now trusted. */
export function describeTrust(result: HostProbe): string {
  return `Trusted the ${result.keyType} key ${result.fingerprint} of ${result.host} port ${result.port}.`;
}
