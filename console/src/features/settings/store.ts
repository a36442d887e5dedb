import { config } from '../../config';

/** The store a settings page opens on: the configured shop's, else the demo store. */
export function defaultStore(): string {
  try {
    return config().store ?? 'demo';
  } catch {
    return 'demo';
  }
}
