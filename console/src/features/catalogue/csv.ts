// A small CSV reader (RFC 4180: quoted cells, "" inside quotes, CRLF or LF) and the batch stock
// adjustment file `skuId,delta,reason,note` read into the lines POST /stock-adjustments/batch takes,
// so the page shows each bad cell before anything is sent.

import type { Schemas } from '../../api/client';

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const source = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i];
    if (quoted) {
      if (char === '"' && source[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        cell += char;
      }
    } else if (char === '"' && cell === '') {
      quoted = true;
    } else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && source[i + 1] === '\n') i += 1;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else {
      cell += char;
    }
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((cells) => cells.some((value) => value.trim() !== ''));
}

export interface CsvProblem {
  line: number; // 1-based data line (the header is line 0)
  field: string;
  code: 'header' | 'missing' | 'not-integer' | 'zero' | 'reason' | 'cells';
}

export interface AdjustmentFile {
  lines: Schemas['AdjustmentLineIn'][];
  problems: CsvProblem[];
}

const REASONS: Schemas['StockAdjustmentReason'][] = ['restock', 'stocktake_correction'];
const COLUMNS = ['skuId', 'delta', 'reason', 'note'];

export function parseAdjustmentCsv(text: string): AdjustmentFile {
  const rows = parseCsv(text);
  const problems: CsvProblem[] = [];
  if (!rows.length) return { lines: [], problems };
  const header = rows[0].map((cell) => cell.trim());
  for (const name of header) if (!COLUMNS.includes(name)) problems.push({ line: 0, field: name, code: 'header' });
  for (const name of ['skuId', 'delta', 'reason'])
    if (!header.includes(name)) problems.push({ line: 0, field: name, code: 'header' });
  if (problems.length) return { lines: [], problems };
  const lines: Schemas['AdjustmentLineIn'][] = [];
  rows.slice(1).forEach((cells, index) => {
    const line = index + 1;
    if (cells.length > header.length) problems.push({ line, field: 'cells', code: 'cells' });
    const cell = (name: string) => (cells[header.indexOf(name)] ?? '').trim();
    const skuId = cell('skuId');
    const deltaText = cell('delta');
    const reason = cell('reason') as Schemas['StockAdjustmentReason'];
    const note = header.includes('note') ? cell('note') : '';
    if (!skuId) problems.push({ line, field: 'skuId', code: 'missing' });
    const delta = Number(deltaText);
    if (!/^[+-]?\d+$/.test(deltaText)) problems.push({ line, field: 'delta', code: 'not-integer' });
    else if (delta === 0) problems.push({ line, field: 'delta', code: 'zero' });
    if (!REASONS.includes(reason)) problems.push({ line, field: 'reason', code: 'reason' });
    lines.push({ skuId, delta, reason, ...(note ? { note } : {}) });
  });
  return { lines, problems };
}
