// Colours of the order pages that pass WCAG AA contrast (4.5:1) on white and on their tag backgrounds:
// antd's default link (#1677ff), error (#ff4d4f) and the tag text of the green, gold, orange and cyan
// palettes do not. A nested ConfigProvider merges these over the console's theme.

import { ConfigProvider } from 'antd';
import type { ReactNode } from 'react';

const TOKENS = {
  colorLink: '#1668dc',
  colorInfo: '#1668dc',
  colorError: '#cf1322',
  // Seeds one shade darker than antd's: the tag text (shade 7) then passes on its shade-1 background.
  green: '#237804',
  gold: '#ad6800',
  orange: '#ad4e00',
  cyan: '#006d75',
  volcano: '#ad2102',
  lime: '#5b8c00',
};

export function OrdersTheme({ children }: { children: ReactNode }) {
  return <ConfigProvider theme={{ token: TOKENS }}>{children}</ConfigProvider>;
}
