import type { Feature } from '../types';

export const feature: Feature = { routes: [], menu: [] };
