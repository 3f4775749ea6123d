# Schemathesis hooks of the OpenAPI fuzz test (openapi-fuzz.test.ts; SCHEMATHESIS_HOOKS=<this file>).
# They state what the document cannot, so that schema-valid requests are valid requests, and they
# name the findings still open; nothing else is filtered.
import re
import sys

import schemathesis

# The ActionGate-Signature header's pattern in the OpenAPI document.
SIGNATURE = re.compile(r"^keyId=ed25519:[0-9a-f]{32}; ?sig=[A-Za-z0-9_-]{85}[AQgw]$")
# The principal the fuzzer authenticates as (its bearer token).
PRINCIPAL = "agent-42"


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if case.operation.path != "/v1/actions" or meta is None or meta.generation.mode != "positive":
        return case
    headers = case.headers if case.headers is not None else {}
    # Schemathesis's coverage phase cannot build a header value whose pattern needs characters outside
    # [A-Za-z0-9] (here ';' and '='): it sends "0" in cases it calls valid. Drop it: the header is optional.
    signature = headers.get("ActionGate-Signature")
    if signature is not None and not SIGNATURE.match(str(signature)):
        del headers["ActionGate-Signature"]
    body = case.body
    if isinstance(body, dict):
        # A rule OpenAPI cannot state: the Idempotency-Key header equals the body's idempotencyKey.
        if isinstance(body.get("idempotencyKey"), str) and "Idempotency-Key" in headers:
            headers["Idempotency-Key"] = body["idempotencyKey"]
        # The caller's own actor, so that valid requests reach the gate (another actor is a 403 before it).
        if isinstance(body.get("actor"), dict):
            body["actor"]["id"] = PRINCIPAL
    return case


# Findings reported and not fixed yet (each names where it is tracked); printed, not failed.
KNOWN = []


@schemathesis.hook
def filter_failure(context, failure, case, response):
    for known in KNOWN:
        if known(failure, case, response):
            sys.stderr.write(f"known finding, not failed: {response.request.method} {case.path} -> {response.status_code}: {failure.title}\n")
            return False
    return True
