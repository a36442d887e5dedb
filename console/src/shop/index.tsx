import type { RouteObject } from 'react-router-dom';

/** The demo shop front's pages, below #/shop. */
export const shopRoute: RouteObject = { path: '/shop', children: [] };
