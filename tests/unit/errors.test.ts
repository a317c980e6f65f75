import { describe, expect, test } from '@jest/globals';
import { adviceFor, dbusErrorName, ERROR_CODES, errorCodeFromDbusName, RewindError, toRewindError } from '../../src/core/errors';

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

  test('anything thrown becomes an internal error that keeps its cause', () => {
    const cause = new Error('boom');
    const error = toRewindError(cause);
    expect(error.code).toBe('Internal');
    expect(error.cause).toBe(cause);
  });
});
