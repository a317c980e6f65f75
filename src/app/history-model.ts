import GObject from 'gi://GObject';
import type { RunRecord } from '../core/status';
import type { Failure, HelperClient } from './helper-client';

/** How many runs are asked for: about a month of hourly backups is more than anyone reads. */
const LIMIT = 200;

/**
 * Every run the helper remembers (GetHistory), newest first, read again
 * when a backup finishes. `changed` follows each answer; `loading` while
 * one is awaited.
 */
export class HistoryModel extends GObject.Object {
  static {
    GObject.registerClass(
      {
        GTypeName: 'RewindHistoryModel',
        Properties: { loading: GObject.ParamSpec.boolean('loading', null, null, GObject.ParamFlags.READABLE, false) },
        Signals: { changed: {} },
      },
      this,
    );
  }

  runs: RunRecord[] = [];
  total = 0;
  /** Why the last GetHistory failed, or null. */
  failure: Failure | null = null;
  private _loading = false;
  private _client: HelperClient;
  private _finished: number;

  constructor(client: HelperClient) {
    super();
    this._client = client;
    // A run that ends while the history is shown joins the list.
    this._finished = client.connect('backup-finished', () => void this.load());
  }

  get loading(): boolean {
    return this._loading;
  }

  /** The destinations' names by id, from the helper's status. */
  labels(): Map<string, string> {
    return new Map((this._client.status?.destinations ?? []).map((d) => [d.id, d.label]));
  }

  async load(): Promise<void> {
    this._setLoading(true);
    try {
      const page = await this._client.getHistory(LIMIT);
      this.runs = page.runs;
      this.total = page.total;
      this.failure = null;
    } catch (e) {
      this.failure = e as Failure;
    } finally {
      this._setLoading(false);
    }
    this.emit('changed');
  }

  close(): void {
    this._client.disconnect(this._finished);
  }

  private _setLoading(loading: boolean): void {
    this._loading = loading;
    this.notify('loading');
  }
}
