import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Resolved from both src/ (tests) and dist/ (production): each sits one level below the package root.
const packageJson = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };

export const SERVICE_VERSION: string = packageJson.version;
