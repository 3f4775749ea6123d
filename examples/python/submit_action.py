#!/usr/bin/env python3
"""Submit one action to ActionGate's HTTP API (`actiongate serve`) and print what the gate answered.

Plain `requests` (pip install requests), no SDK of ours. The request is the ActionRequest JSON of
docs/action-request.schema.json; its actor must be the principal the API key (or token) names.

    export ACTIONGATE_URL=http://127.0.0.1:8080
    export ACTIONGATE_API_KEY=...            # or ACTIONGATE_TOKEN=<a JWT from your issuer>
    python3 examples/python/submit_action.py examples/data-exports-internal.json

Exit status: 0 the action was carried out (or is still under way: 202), 3 it was refused (DENY,
SILENCE, an operator's rejection) or its dispatch failed, 1 the API refused the request (the problem
is printed, every bad field on its own line), 2 usage.
"""

import json
import os
import sys

import requests

WAIT_SECONDS = 10


def main(argv):
    if len(argv) != 2:
        print("usage: submit_action.py REQUEST.json   (ACTIONGATE_URL and ACTIONGATE_API_KEY or ACTIONGATE_TOKEN in the environment)", file=sys.stderr)
        return 2
    base_url = os.environ.get("ACTIONGATE_URL", "").rstrip("/")
    credential = os.environ.get("ACTIONGATE_API_KEY") or os.environ.get("ACTIONGATE_TOKEN")
    if not base_url or not credential:
        print("set ACTIONGATE_URL, and ACTIONGATE_API_KEY or ACTIONGATE_TOKEN", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as file:
        request = json.load(file)

    response = requests.post(
        f"{base_url}/v1/actions",
        json=request,
        headers={
            "Authorization": f"Bearer {credential}",
            # Must equal the body's key: the same key again returns the first decision, never a second dispatch.
            "Idempotency-Key": str(request.get("idempotencyKey", "")),
            # Wait up to 10 s for the end (dispatch and its receipt); else 202 with the decision.
            "Prefer": f"wait={WAIT_SECONDS}",
            "Accept": "application/json, application/problem+json",
        },
        timeout=WAIT_SECONDS + 30,
        # A redirect would carry the credential to wherever it points.
        allow_redirects=False,
    )

    if response.status_code not in (200, 202):
        return print_problem(response)

    action = response.json()
    decision = action["decision"]
    result = action.get("result")
    print(f"action    {action['idempotencyKey']}")
    print(f"state     {action['state']}")
    print(f"outcome   {decision['outcome']}")
    print(f"reasons   {', '.join(decision['reasons']) or '-'}")
    if decision.get("detail"):
        print(f"detail    {decision['detail']}")
    if decision.get("waitsFor"):
        waits = decision["waitsFor"]
        groups = "; ".join(f"{r['quorum']} of {', '.join(r['groups'])}" for r in waits["requirements"])
        print(f"waits for {waits['kind']} by {groups} until {waits['until']}")
    if result:
        dispatch = result["dispatch"]
        print(f"dispatch  {dispatch['status']}")
        if "result" in dispatch:
            print(f"answer    {json.dumps(dispatch['result'])}")
    for receipt in action["receipts"]:
        print(f"receipt   {receipt['kind']:<8}  {receipt['receiptId']}")
    if response.status_code == 202:
        print(f"status    {base_url}{action['links']['self']}  (not finished: GET it later)")

    if result is not None:
        return 0 if result["dispatch"]["status"] == "succeeded" else 3
    return 3 if action["state"] == "refused" else 0


def print_problem(response):
    """An RFC 9457 problem: its code and detail, then each bad field."""
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    print(f"error     {response.status_code} {problem.get('code', response.reason)}: {problem.get('detail', response.text[:200])}", file=sys.stderr)
    for error in problem.get("errors", []):
        print(f"  - {error['path']}: {error['message']}", file=sys.stderr)
    if response.status_code == 429:
        print(f"  retry after {response.headers.get('Retry-After', '?')} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
