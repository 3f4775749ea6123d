#!/bin/sh
# One-shot (service temporal-namespace): makes sure ActionGate's namespace exists. Idempotent: an
# existing namespace is left as it is. The search attributes are not registered here:
# `actiongate worker` registers ActionSurface, ActionOutcome, ActionActor and PolicyDigest itself
# at start, but it needs the namespace to exist first.
set -eu

: "${TEMPORAL_ADDRESS:?}"
: "${NAMESPACE:?}"
: "${NAMESPACE_RETENTION:=72h}"

host=${TEMPORAL_ADDRESS%:*}
port=${TEMPORAL_ADDRESS##*:}
# The frontend binds 0.0.0.0 (IPv4 only); Temporal's own compose script resolves the name to an
# address first as well. Take an IPv4 one so the CLI cannot try an IPv6 address nothing listens on.
ip=$(getent ahosts "$host" 2>/dev/null | awk '$1 ~ /^[0-9.]+$/ { print $1; exit }' || true)
address="${ip:-$host}:$port"

# The server's healthcheck only says its port is open; wait until it answers.
attempt=0
until temporal operator cluster health --address "$address" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then
    echo "temporal-namespace: no healthy Temporal server at $address after $attempt attempts" >&2
    exit 1
  fi
  sleep 2
done

describe() {
  temporal operator namespace describe --namespace "$NAMESPACE" --address "$address" >/dev/null 2>&1
}

if describe; then
  echo "temporal-namespace: namespace $NAMESPACE already exists"
elif temporal operator namespace create --namespace "$NAMESPACE" --retention "$NAMESPACE_RETENTION" --address "$address"; then
  echo "temporal-namespace: namespace $NAMESPACE created (retention $NAMESPACE_RETENTION)"
elif describe; then
  # Another run created it between our describe and create.
  echo "temporal-namespace: namespace $NAMESPACE already exists"
else
  exit 1
fi

# Done only when the namespace answers the call the worker makes first (listing search
# attributes). Right after a lookup that missed, the frontend keeps answering NOT_FOUND for a
# moment (seen with a local Temporal 1.32 dev server: about half a second), and a worker started
# in that window would exit.
attempt=0
until temporal operator search-attribute list --namespace "$NAMESPACE" --address "$address" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then
    echo "temporal-namespace: namespace $NAMESPACE still not usable after $attempt attempts" >&2
    exit 1
  fi
  sleep 1
done
echo "temporal-namespace: namespace $NAMESPACE ready"
