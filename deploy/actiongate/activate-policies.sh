#!/bin/sh
# One-shot (compose service actiongate-policies): builds the policy folder into a bundle signed
# with the bundle key, publishes it and activates it. Run again with the same policies, version
# and revision, it changes nothing; with changed policies and the same version it fails, naming
# the variable to change.
set -eu
: "${ACTIONGATE_POLICY_VERSION:?set ACTIONGATE_POLICY_VERSION}"
: "${ACTIONGATE_POLICY_REVISION:?set ACTIONGATE_POLICY_REVISION}"
: "${ACTIONGATE_POLICIES:?set ACTIONGATE_POLICIES}"

bundle=$(mktemp /tmp/actiongate-bundle.XXXXXX)
trap 'rm -f "$bundle"' EXIT

node /app/bin/actiongate.js policy build "$ACTIONGATE_POLICIES" --out "$bundle" \
  --version "$ACTIONGATE_POLICY_VERSION" --revision "$ACTIONGATE_POLICY_REVISION"
if ! node /app/bin/actiongate.js policy publish "$bundle" --by compose; then
  echo "activate-policies: publishing failed; if the policies changed, set a new ACTIONGATE_POLICY_VERSION and a higher ACTIONGATE_POLICY_REVISION" >&2
  exit 1
fi
node /app/bin/actiongate.js policy activate "$ACTIONGATE_POLICY_VERSION" --by compose --note "docker compose: $ACTIONGATE_POLICY_VERSION"
