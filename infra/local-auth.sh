#!/usr/bin/env bash
# The local side of token auth. `npm start` with its local servers sources this and calls use_local_auth: unless you
# chose how the service checks tokens (AUTH_MODE, AUTH_PUBLIC_KEY_FILE or AUTH_JWKS_URL), the service trusts a signing
# key of this clone's own, made on the first run in $RUN_DIR/auth/ and kept until `npm run reset`, and
# infra/token.mjs signs tokens with it. Run on its own, it makes the key and prints the variables for a service you
# start by hand: eval "$(infra/local-auth.sh)".
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LOCAL_AUTH_ISSUER=wms-order-service-local
LOCAL_AUTH_AUDIENCE=wms-order-service

use_local_auth() {
  if [ -n "${AUTH_MODE:-}${AUTH_PUBLIC_KEY_FILE:-}${AUTH_JWKS_URL:-}" ]; then
    log "auth as you set it (AUTH_MODE=${AUTH_MODE:-jwt}): no local signing key"
    return 0
  fi
  export AUTH_ISSUER="${AUTH_ISSUER:-$LOCAL_AUTH_ISSUER}"
  export AUTH_AUDIENCE="${AUTH_AUDIENCE:-$LOCAL_AUTH_AUDIENCE}"
  local dir made
  # A relative WMS_RUN_DIR is the project's, as for the other scripts (and token.mjs), wherever this runs from.
  dir="$(cd "$PROJECT_DIR" && mkdir -p "$RUN_DIR" && cd "$RUN_DIR" && pwd)/auth"
  # Node, not openssl: the service needs it anyway, so it is always there. Each file is written beside its target and
  # renamed over it, so a kill mid-write leaves a stray temp file, never a torn key that later starts would trust.
  # public.pem is derived from private.pem on every start: the pair cannot drift apart, whichever file was replaced.
  # issuer.json is rewritten every start too: it tells the token tool what this run's service checks.
  made=$(node -e '
    const { createPrivateKey, createPublicKey, generateKeyPairSync } = require("node:crypto");
    const fs = require("node:fs");
    const path = require("node:path");
    const [dir, issuer, audience] = process.argv.slice(1);
    const privateKeyFile = path.join(dir, "private.pem"), publicKeyFile = path.join(dir, "public.pem");
    const writeAtomically = (file, text, mode) => {
      const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
      try { fs.writeFileSync(tmp, text, { mode, flag: "wx" }); fs.renameSync(tmp, file); }
      catch (error) { fs.rmSync(tmp, { force: true }); throw error; }
    };
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    let made = "kept";
    if (!fs.existsSync(privateKeyFile)) {
      const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256",
        privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
      writeAtomically(privateKeyFile, privateKey, 0o600);
      made = "made";
    }
    fs.chmodSync(privateKeyFile, 0o600);
    let key;
    try { key = createPrivateKey(fs.readFileSync(privateKeyFile)); } catch (error) { key = error; }
    if (key instanceof Error || key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails.namedCurve !== "prime256v1") {
      const why = key instanceof Error ? `cannot be read (${key.message})` : "is not an EC P-256 key (tokens are ES256)";
      console.error(`${privateKeyFile} ${why}: remove it and start again for a new one`);
      process.exit(1);
    }
    const publicPem = createPublicKey(key).export({ type: "spki", format: "pem" });
    if (!fs.existsSync(publicKeyFile) || fs.readFileSync(publicKeyFile, "utf8") !== publicPem) writeAtomically(publicKeyFile, publicPem, 0o644);
    writeAtomically(path.join(dir, "issuer.json"), JSON.stringify({ issuer, audience, privateKeyFile }, null, 2) + "\n", 0o644);
    console.log(made);
  ' "$dir" "$AUTH_ISSUER" "$AUTH_AUDIENCE") || die "could not set up the local token-signing key in $dir"
  export AUTH_PUBLIC_KEY_FILE="$dir/public.pem"
  # The key the console's local "Dev sign-in" signs with (infra/start-service.sh hands it to the service).
  LOCAL_AUTH_PRIVATE_KEY_FILE="$dir/private.pem"
  [ "$made" = made ] && log "made a local token-signing key (ES256) in $dir; \`npm run reset\` wipes it"
  log "the service accepts tokens of $dir/private.pem (iss $AUTH_ISSUER, aud $AUTH_AUDIENCE); get one with:"
  log "  ${WMS_RUN_DIR:+WMS_RUN_DIR=$(printf %q "$WMS_RUN_DIR") }node infra/token.mjs --sub you --tenant tenant-1 --scope all"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  use_local_auth
  for name in AUTH_PUBLIC_KEY_FILE AUTH_ISSUER AUTH_AUDIENCE; do
    if [ -n "${!name:-}" ]; then printf 'export %s=%q\n' "$name" "${!name}"; fi
  done
fi
