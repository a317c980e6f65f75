import GObject from 'gi://GObject';
import type { Inventory } from '../core/contract/responses';
import type { Failure, HelperClient } from './helper-client';

export type { Inventory };

/**
 * The restore points the helper knows (ListRestorePoints): every local
 * snapshot and every backup on each destination, and whether each
 * destination could be reached. The main page reads it for the
 * destinations' state, the Restore Points window for its list. `changed`
 * follows each answer.
 */
export class InventoryModel extends GObject.Object {
  static {
    GObject.registerClass({ GTypeName: 'RewindInventoryModel', Signals: { changed: {} } }, this);
  }

  inventory: Inventory | null = null;
  /** Why the last ListRestorePoints failed, or null. */
  failure: Failure | null = null;
  loading = false;
  private _client: HelperClient;

  constructor(client: HelperClient) {
    super();
    this._client = client;
  }

  /** Asks again; a request already under way is not repeated. */
  async load(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    try {
      this.inventory = await this._client.callJson('ListRestorePoints');
      this.failure = null;
    } catch (e) {
      this.failure = e as Failure;
    } finally {
      this.loading = false;
    }
    this.emit('changed');
  }
}
