import type { ErrorCode } from './errors';

/** Shapes of the JSON the helper sends over D-Bus (see ./dbus-interface). */

export interface ErrorReport {
  code: ErrorCode;
  /** A complete sentence for people: what happened and what to do. */
  message: string;
}

export type TransferKind = 'full' | 'incremental';

export interface TransferRecord {
  source: string;
  destination: string;
  snapshot: string;
  kind: TransferKind;
  /** Name of the parent snapshot for an incremental send. */
  parent?: string;
  bytes: number;
  seconds: number;
  ok: boolean;
  error?: ErrorReport;
}

export interface RunRecord {
  id: string;
  started: string;
  finished: string;
  ok: boolean;
  error?: ErrorReport;
  transfers: TransferRecord[];
}

export interface DestinationSummary {
  id: string;
  kind: string;
  label: string;
  enabled: boolean;
}

export interface HelperStatus {
  configured: boolean;
  configError?: ErrorReport;
  sources: string[];
  destinations: DestinationSummary[];
  running: boolean;
  lastRun?: RunRecord;
  lastSuccess?: RunRecord;
}

export type Phase = 'snapshot' | 'cleanup' | 'send' | 'verify';

export interface Progress {
  phase: Phase;
  source: string;
  destination?: string;
  kind?: TransferKind;
  bytes: number;
}
