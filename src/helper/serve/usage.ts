import { DEFAULT_HELPER_PATH } from '../../core/ids';

/** The server-side commands' part of `rewind-helper --help`; apart so the help loads nothing else. */
export const SERVE_USAGE = `  serve --root DIR --host NAME [--runtime-dir DIR]
                         answer one SSH client on stdin/stdout (the forced command
                         of its key); acts only in DIR/NAME/ (docs/serve-protocol.md)
  accept-key --root DIR --host NAME [--authorized-keys FILE] [--helper PATH] < KEY.pub
                         allow the public key on stdin to run only "serve" for NAME
                         (default FILE /root/.ssh/authorized_keys, PATH ${DEFAULT_HELPER_PATH})`;
