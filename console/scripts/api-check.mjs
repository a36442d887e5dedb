// Fails when src/api/schema.d.ts is not what openapi-typescript makes of ../docs/openapi.json: the console's
// typed client and the API cannot drift apart (regenerate with `npm run api`).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const document = new URL(`file://${resolve(root, '../docs/openapi.json')}`);
const expected = astToString(await openapiTS(document));
const committed = readFileSync(resolve(root, 'src/api/schema.d.ts'), 'utf8');
const strip = (text) => text.replace(/^\/\*\*[\s\S]*?\*\/\s*/, '').trim();
if (strip(committed) !== strip(expected)) {
  console.error('console/src/api/schema.d.ts is out of date with docs/openapi.json: run `npm run api` in console/');
  process.exit(1);
}
console.log('console/src/api/schema.d.ts matches docs/openapi.json');
