/**
 * Every name Rewind is known by on the system, derived from the app ID in one
 * place so that the bus name, object path, polkit actions and files agree.
 * meson and the data files use the same strings; tests/system/data-files.test.ts
 * checks that they do.
 */
export const APP_ID = 'io.github.rewindbackup.Rewind';
/** Rewind's version (package.json's; a unit test checks they agree), as a backup server tells it. */
export const REWIND_VERSION = '0.1.0';
/** The day of that release, as the metainfo and the RPM changelog give it (tests/unit/release-dates.test.ts). */
export const REWIND_RELEASE_DATE = '2026-11-26';
/** Where the project lives and where to report a problem: the metainfo's and the spec's (tests/unit/project-urls.test.ts). */
export const WEBSITE_URL = 'https://github.com/rewindbackup/rewind';
export const ISSUES_URL = `${WEBSITE_URL}/issues`;

export const HELPER_BUS_NAME = `${APP_ID}.Helper`;
export const HELPER_OBJECT_PATH = '/io/github/rewindbackup/Rewind/Helper';
export const HELPER_INTERFACE = `${APP_ID}.Helper1`;
export const ERROR_PREFIX = `${APP_ID}.Error`;

/** polkit actions, one per kind of call (see data/*.policy.in). */
export const ACTIONS = {
  /** The state of backups (GetStatus, GetHistory): anyone, as the monitor of any session shows it. */
  readStatus: `${APP_ID}.read-status`,
  /**
   * The configuration and what the helper finds by using it: the restore points (it mounts disks and
   * connects to servers), the sizes of configured folders (it walks them as root). The active local
   * session without a password, others as an administrator.
   */
  readConfig: `${APP_ID}.read-config`,
  runBackup: `${APP_ID}.run-backup`,
  configure: `${APP_ID}.configure`,
  /** Make a btrfs filesystem on an empty disk (administrators). */
  prepareDisk: `${APP_ID}.prepare-disk`,
  /** Restore what the caller could read in the snapshot anyway, where the caller may write. */
  restoreOwnFiles: `${APP_ID}.restore-own-files`,
  /** Restore anything anywhere (administrators). */
  restoreFiles: `${APP_ID}.restore-files`,
} as const;
export type ActionId = (typeof ACTIONS)[keyof typeof ACTIONS];

export const DEFAULT_CONFIG_PATH = '/etc/rewind/config.json';
export const DEFAULT_STATE_DIR = '/var/lib/rewind';
export const DEFAULT_RUNTIME_DIR = '/run/rewind';
/** Where packages install the helper (what a server's authorized_keys line runs). */
export const DEFAULT_HELPER_PATH = '/usr/libexec/rewind-helper';

/** Hidden directory at the source filesystem's top level that holds snapshots. */
export const SNAPSHOT_DIR = '.rewind';

export const BACKUP_SERVICE = 'rewind-backup.service';
export const BACKUP_TIMER = 'rewind-backup.timer';
export const HELPER_SERVICE = 'rewind-helper.service';
