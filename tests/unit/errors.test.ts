import { describe, expect, test } from '@jest/globals';
import { reason } from '../../src/core/error-reasons';
import {
  ADVICE,
  adviceFor,
  dbusErrorMessage,
  dbusErrorName,
  ERROR_CODES,
  errorCodeFromDbusName,
  errorReport,
  parseReason,
  RewindError,
  splitDbusErrorMessage,
  toRewindError,
} from '../../src/core/errors';
import { isPlainText } from '../../src/core/plain-text';

describe('errors', () => {
  test('every code maps to its own D-Bus name and back', () => {
    const names = ERROR_CODES.map(dbusErrorName);
    expect(new Set(names).size).toBe(ERROR_CODES.length);
    for (const code of ERROR_CODES) {
      expect(dbusErrorName(code)).toMatch(/^io\.github\.rewindbackup\.Rewind\.Error\.[A-Z][A-Za-z]+$/);
      expect(errorCodeFromDbusName(dbusErrorName(code))).toBe(code);
      expect(adviceFor(code)).toMatch(/^[A-Z].*\.$/);
    }
    expect(errorCodeFromDbusName('org.freedesktop.DBus.Error.Failed')).toBeUndefined();
  });

  test('a message says what happened, then what to do', () => {
    const error = new RewindError('DestinationMissing', 'The backup disk Blue is not connected.');
    expect(error.message).toBe('The backup disk Blue is not connected. Connect the backup disk, then try again.');
  });

  test('a cause a person can fix is not called a bug of the calling program', () => {
    const malformed = new RewindError('InvalidArgs', 'GetHistory takes how many runs to return, from 1 to 1000.');
    expect(malformed.message).toBe('GetHistory takes how many runs to return, from 1 to 1000. This is a bug in the calling program; please report it.');
    const missing = new RewindError('InvalidArgs', 'There is no destination "usb" in the configuration.', { advice: ADVICE.chooseAgain });
    expect(missing.message).toBe(
      'There is no destination "usb" in the configuration. Check the name and choose again: backups and the configuration may have changed since they were listed.',
    );
    expect({ code: missing.code, detail: missing.detail }).toEqual({ code: 'InvalidArgs', detail: 'There is no destination "usb" in the configuration.' });
    // The detail that already says what to do stands alone.
    const said = new RewindError('InvalidArgs', '/srv/a already exists; choose another folder to restore into.', { advice: ADVICE.inDetail });
    expect(said.message).toBe('/srv/a already exists; choose another folder to restore into.');
    for (const advice of Object.values(ADVICE)) expect(advice).toMatch(/^$|^[A-Z].*\.$/);
  });

  test('advice is in words the app may show: no device paths, snapshot names or btrfs words', () => {
    for (const code of ERROR_CODES) expect({ code, plain: isPlainText(adviceFor(code)) }).toEqual({ code, plain: true });
    for (const advice of Object.values(ADVICE).filter((a) => a !== ADVICE.commandLine)) expect(isPlainText(advice)).toBe(true);
  });

  test('a refusal does not say it was about backups', () => {
    expect(adviceFor('NotAuthorized')).not.toMatch(/backup/i);
    expect(new RewindError('NotAuthorized', 'Your account is not allowed to change the backup settings on this computer.').message).toBe(
      'Your account is not allowed to change the backup settings on this computer. Ask an administrator of this computer to allow it.',
    );
  });

  test('an advice of its own keeps the cause', () => {
    const cause = new Error('no polkit');
    const error = new RewindError('NotAuthorized', 'polkit could not check this request.', { cause, advice: 'Check polkit.' });
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('polkit could not check this request. Check polkit.');
  });

  test('anything thrown becomes an internal error that keeps its cause', () => {
    const cause = new Error('boom');
    const error = toRewindError(cause);
    expect(error.code).toBe('Internal');
    expect(error.cause).toBe(cause);
  });

  describe('reasons, for the app to word in the user\'s language', () => {
    const missing = new RewindError('DestinationMissing', 'The backup disk Blue is not connected.', { reason: reason('disk-not-connected', { destination: 'Blue' }) });

    test('a report has the code, the English message and the reason with its parameters', () => {
      expect(errorReport(missing)).toEqual({
        code: 'DestinationMissing',
        message: 'The backup disk Blue is not connected. Connect the backup disk, then try again.',
        reason: 'disk-not-connected',
        params: { destination: 'Blue' },
      });
      // Without a reason, only the code and the message; a parameter left undefined is left out.
      expect(errorReport(new RewindError('Busy', 'A backup is already running.'))).toEqual({ code: 'Busy', message: 'A backup is already running. Wait for the running backup to finish, or cancel it.' });
      const full = new RewindError('DestinationFull', 'No room.', { reason: reason('full-during-backup', { destination: undefined }) });
      expect(errorReport(full)).toMatchObject({ reason: 'full-during-backup', params: {} });
    });

    test('a D-Bus error carries the reason on a last line, which the other side takes off again', () => {
      const text = dbusErrorMessage(missing);
      expect(text).toBe(
        'The backup disk Blue is not connected. Connect the backup disk, then try again.\nrewind-reason: {"reason":"disk-not-connected","params":{"destination":"Blue"}}',
      );
      expect(splitDbusErrorMessage(text)).toEqual({ message: missing.message, reason: 'disk-not-connected', params: { destination: 'Blue' } });
      // An error without a reason is its message alone, and a message without the line is taken as it is.
      expect(dbusErrorMessage(new RewindError('Busy', 'Busy.'))).toBe('Busy. Wait for the running backup to finish, or cancel it.');
      expect(splitDbusErrorMessage('Anything else.')).toEqual({ message: 'Anything else.' });
    });

    test('a reason line that is not well-formed is dropped, the message kept', () => {
      const bad = [
        'not json',
        '{"reason":"Disk Not Connected"}',
        '{"reason":"disk-not-connected","params":{"destination":{"nested":1}}}',
        '{"reason":"disk-not-connected","params":["Blue"]}',
        `{"reason":"disk-not-connected","params":{"destination":"${'x'.repeat(1001)}"}}`,
        '{"reason":"disk-not-connected","params":{"not a name":"Blue"}}',
      ];
      for (const line of bad) expect(splitDbusErrorMessage(`Said.\nrewind-reason: ${line}`)).toEqual({ message: 'Said.' });
      expect(parseReason({ reason: 'no-room', params: { destination: 'Blue', removed: 2, freeBytes: 1024 } })).toEqual({
        reason: 'no-room',
        params: { destination: 'Blue', removed: 2, freeBytes: 1024 },
      });
      expect(parseReason({ reason: 'no-room', params: { removed: Number.NaN } })).toBeUndefined();
    });
  });
});
