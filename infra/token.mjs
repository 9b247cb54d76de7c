#!/usr/bin/env node
// `npm run token`: signs an access token that the service started by `npm start` accepts, with the local signing key
// infra/local-auth.sh made (or one you name). Only the token goes to stdout, so `TOKEN=$(npm run --silent token -- …)`
// and `curl -H "Authorization: Bearer $(…)"` work; anything else goes to stderr with exit code 2.
import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// The service's scopes (src/auth/scopes.ts): a plain script cannot import the TypeScript, and `--scope all` must not
// need a build.
const SCOPES = ['orders:read', 'orders:write', 'orders:fulfil', 'reprocessing:write', 'dlq:read', 'dlq:resolve'];
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 };
const USAGE = `usage: node infra/token.mjs --sub SUBJECT --tenant TENANT --scope "SCOPE ..." [--expires-in 15m]
                           [--key PRIVATE_KEY_FILE --issuer ISSUER --audience AUDIENCE]
  --scope       space-separated, from: ${SCOPES.join(' ')}; "all" for every one, "" for none
  --expires-in  Ns, Nm, Nh or Nd (default 15m)
  --key, --issuer, --audience  default to what \`npm start\` gave the service (\${WMS_RUN_DIR:-.run/local}/auth/issuer.json)`;

// Like infra/lib.sh: the run directory is the project's, whatever the working directory.
const PROJECT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ISSUER_FILE = join(resolve(PROJECT_DIR, process.env.WMS_RUN_DIR || '.run/local'), 'auth', 'issuer.json');
const NO_LOCAL_KEY = `no local signing key yet (${ISSUER_FILE}): run npm start once first, it creates the local signing key`;

class UsageError extends Error {
  constructor(message, { showUsage = false } = {}) {
    super(message);
    this.showUsage = showUsage;
  }
}

function parseScopes(text) {
  const scopes = new Set();
  for (const word of text.split(/[\s,]+/).filter(Boolean)) {
    if (word === 'all') SCOPES.forEach((scope) => scopes.add(scope));
    else if (SCOPES.includes(word)) scopes.add(word);
    else throw new UsageError(`unknown scope "${word}" (known: ${SCOPES.join(' ')}, or all)`);
  }
  return [...scopes].join(' ');
}

function parseDuration(text) {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (!match || Number(match[1]) === 0) throw new UsageError(`--expires-in ${JSON.stringify(text)}: want Ns, Nm, Nh or Nd, N > 0 (e.g. 15m)`);
  return Number(match[1]) * UNIT_SECONDS[match[2]];
}

/** Flags first; issuer.json only for what they leave out, so a token for another key needs no `npm start`. */
function signingSettings(values) {
  let local = {};
  if (!(values.key && values.issuer && values.audience)) {
    if (!existsSync(ISSUER_FILE)) throw new UsageError(NO_LOCAL_KEY);
    local = JSON.parse(readFileSync(ISSUER_FILE, 'utf8'));
  }
  const keyFile = values.key ? resolve(values.key) : local.privateKeyFile && resolve(dirname(ISSUER_FILE), local.privateKeyFile);
  if (!values.key && !(keyFile && existsSync(keyFile))) throw new UsageError(NO_LOCAL_KEY);
  return { keyFile, issuer: values.issuer ?? local.issuer, audience: values.audience ?? local.audience };
}

function readSigningKey(keyFile) {
  let key;
  try {
    key = createPrivateKey(readFileSync(keyFile));
  } catch (error) {
    throw new UsageError(`cannot read a private key from ${keyFile}: ${error.message}`);
  }
  // The service would take other asymmetric algorithms too, but local tokens are ES256 (what local-auth.sh makes).
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new UsageError(`${keyFile} is not an EC P-256 private key (tokens are signed ES256)`);
  }
  return key;
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        sub: { type: 'string' },
        tenant: { type: 'string' },
        scope: { type: 'string' },
        'expires-in': { type: 'string', default: '15m' },
        key: { type: 'string' },
        issuer: { type: 'string' },
        audience: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error.message, { showUsage: true });
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const missing = ['sub', 'tenant', 'scope'].filter((name) => values[name] === undefined || (name !== 'scope' && values[name].trim() === ''));
  if (missing.length) throw new UsageError(`missing ${missing.map((name) => `--${name}`).join(', ')}`, { showUsage: true });
  const scope = parseScopes(values.scope);
  const lifetime = parseDuration(values['expires-in']);
  const { keyFile, issuer, audience } = signingSettings(values);
  if (!issuer || !audience) throw new UsageError(`no issuer or audience: pass --issuer and --audience (${ISSUER_FILE} names none)`);
  const key = readSigningKey(keyFile);

  let jose;
  try {
    jose = await import('jose');
  } catch {
    throw new UsageError('the jose package is not installed: run npm ci (or npm start once)');
  }
  // kid: the RFC 7638 thumbprint, so a JWKS that carries this key later names it the same way.
  const kid = await jose.calculateJwkThumbprint(await jose.exportJWK(createPublicKey(key)), 'sha256');
  const now = Math.floor(Date.now() / 1000);
  const token = await new jose.SignJWT({ tenant_id: values.tenant, scope })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(values.sub)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + lifetime)
    .setJti(randomUUID())
    .sign(key);
  process.stdout.write(`${token}\n`);
}

main().catch((error) => {
  process.stderr.write(`token: ${error instanceof UsageError ? error.message : (error.stack ?? String(error))}\n`);
  if (error instanceof UsageError && error.showUsage) process.stderr.write(`${USAGE}\n`);
  process.exitCode = 2;
});
