import { Transform, type TransformCallback } from 'node:stream';

/** Passes a stream on unchanged and counts it, for progress and the transfer record. */
export class ByteCounter extends Transform {
  bytes = 0;
  constructor(private readonly onBytes?: (bytes: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }
}
