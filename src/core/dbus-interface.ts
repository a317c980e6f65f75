import { HELPER_INTERFACE } from './ids';

/**
 * The helper's D-Bus contract. Structured results travel as JSON strings whose
 * shapes are the types in ./status, so the app and the helper share one
 * definition instead of two hand-kept variant layouts.
 *
 * BackUpNow returns as soon as the caller is authorised and the job started;
 * the job then reports through Progress and ends with exactly one Completed.
 * CancelBackup stops the running job (false when none runs): its transfers
 * stop, what they wrote is removed, and Completed reports the Cancelled error.
 *
 * The SSH setup methods take and return JSON too (shapes in ./ssh):
 * ProbeHost({host, port?, user?}) → HostProbe: the server's key fingerprint
 * and whether it is the pinned one; TrustHost({host, port?, fingerprint})
 * pins exactly the key with that fingerprint; GetSshSetup({path}) → SshSetup:
 * the helper's public key and the authorized_keys line for the server.
 *
 * Setup: GetConfig → Config (src/core/config.ts); SetConfig(Config) validates,
 * saves atomically and applies the schedule (→ {config, timer}); ListDisks →
 * DiskInfo[] (src/helper/system/disks.ts); PrepareDisk({path, sizeBytes, label?})
 * makes btrfs on an empty disk (→ {uuid}); ListRestorePoints → Inventory
 * (every local snapshot and backup). Changes need the configure action,
 * reading needs read-status.
 *
 * ListDisks takes {sources: [folder…]} (the folders chosen so far) and marks
 * the disks that hold them "source"; called without an argument it uses the
 * configured sources. GetHistory(limit) → HistoryPage (./status): the newest
 * runs first. ListSubvolumes({paths}) → SubvolumeSize[] (./subvolume-size):
 * the mounted subvolumes and the asked folders, with sizes found in bounded
 * time (read-status for mounted subvolumes and configured sources; any other
 * folder needs configure, since the walk runs as root). GetStatus' destinations carry
 * freeBytes/sizeBytes when their filesystem is mounted.
 *
 * RestoreFiles(RestoreRequest) → RestoreResult (./restore-request): as the
 * caller first (action restore-own-files), and only when the kernel refuses
 * that, as root after asking for an administrator (restore-files). What the
 * caller restores as themselves loses setuid, setgid and sticky bits, and
 * RestoreResult.specialBitsRemoved says where.
 *
 * Every string argument, and every string in its JSON, is refused
 * (InvalidArgs, naming the field) when it holds a control character.
 *
 * The restore browser (shapes in ./browse-request), all read as the caller
 * (action restore-own-files), local snapshots and btrfs-disk backups only:
 * ListFolder({from, snapshot, source?, path}) → FolderListing;
 * Search({from, snapshot, source?, pattern, path?, limit?}) → SearchResult;
 * WhatChanged({from, snapshot, source?}) → WhatChangedResult, the changes
 * since the previous point of the same subvolume at the same place.
 */
export const HELPER_INTERFACE_XML = `<node>
  <interface name="${HELPER_INTERFACE}">
    <method name="GetStatus">
      <arg direction="out" type="s" name="status_json"/>
    </method>
    <method name="BackUpNow">
      <arg direction="out" type="s" name="job_id"/>
    </method>
    <method name="CancelBackup">
      <arg direction="out" type="b" name="was_running"/>
    </method>
    <method name="ProbeHost">
      <arg direction="in" type="s" name="request_json"/>
      <arg direction="out" type="s" name="probe_json"/>
    </method>
    <method name="TrustHost">
      <arg direction="in" type="s" name="request_json"/>
    </method>
    <method name="GetSshSetup">
      <arg direction="in" type="s" name="request_json"/>
      <arg direction="out" type="s" name="setup_json"/>
    </method>
    <method name="GetConfig">
      <arg direction="out" type="s" name="config_json"/>
    </method>
    <method name="SetConfig">
      <arg direction="in" type="s" name="config_json"/>
      <arg direction="out" type="s" name="result_json"/>
    </method>
    <method name="ListDisks">
      <arg direction="in" type="s" name="request_json"/>
      <arg direction="out" type="s" name="disks_json"/>
    </method>
    <method name="GetHistory">
      <arg direction="in" type="u" name="limit"/>
      <arg direction="out" type="s" name="history_json"/>
    </method>
    <method name="ListSubvolumes">
      <arg direction="in" type="s" name="request_json"/>
      <arg direction="out" type="s" name="subvolumes_json"/>
    </method>
    <method name="PrepareDisk">
      <arg direction="in" type="s" name="request_json"/>
      <arg direction="out" type="s" name="result_json"/>
    </method>
    <method name="ListRestorePoints">
      <arg direction="out" type="s" name="inventory_json"/>
    </method>
    <method name="RestoreFiles">
      <arg direction="in" type="s" name="request_json"/>
      <arg direction="out" type="s" name="result_json"/>
    </method>
    <method name="ListFolder">
      <arg direction="in" type="s" name="request_json"/>
      <arg direction="out" type="s" name="listing_json"/>
    </method>
    <method name="Search">
      <arg direction="in" type="s" name="request_json"/>
      <arg direction="out" type="s" name="result_json"/>
    </method>
    <method name="WhatChanged">
      <arg direction="in" type="s" name="request_json"/>
      <arg direction="out" type="s" name="result_json"/>
    </method>
    <signal name="Progress">
      <arg type="s" name="job_id"/>
      <arg type="s" name="progress_json"/>
    </signal>
    <signal name="Completed">
      <arg type="s" name="job_id"/>
      <arg type="b" name="success"/>
      <arg type="s" name="result_json"/>
    </signal>
  </interface>
</node>`;
