"""Publish to Hookgate from Python with the `bullmq` package (pip install bullmq).

The job data is checked by the dispatcher against the same contract as
@hookgate/client/job-contract.schema.json: DELIVER and PUBLISH below are validated against
that schema by the repo's tests (libs/client/test/python-example.spec.ts). This script is
not run by the tests: PyPI was not reachable where it was written.

    REDIS_URL=redis://127.0.0.1:6379 HOOKGATE_ADMIN_URL=http://127.0.0.1:3001 \
    HOOKGATE_PUBLISHER_KEY=hg_... python publish.py
"""

import asyncio
import json
import os
import urllib.parse
import urllib.request

from bullmq import Queue

# Job options: the intake never fails a job, so these only matter if one throws past it.
# removeOnFail False keeps such a job (the only copy of the request) in the failed set.
JOB_OPTIONS = {
    "attempts": 5,
    "backoff": {"type": "exponential", "delay": 500},
    "removeOnComplete": True,
    "removeOnFail": False,
}

# `deliver`: one delivery to one endpoint, by code (or "connector" and "suffix").
DELIVER = {
    "endpoint": "billing-sync",
    "payload": {"invoiceId": "inv-42", "amount": 1999, "currency": "EUR"},
    "context": {"invoiceId": "inv-42"},
    "idempotencyKey": "invoice-inv-42-paid",
    "tenant": "default"
}

# `publish`: one delivery per endpoint subscribed to the event type.
PUBLISH = {
    "eventType": "invoice.paid",
    "payload": {"invoiceId": "inv-42", "amount": 1999},
    "idempotencyKey": "invoice-inv-42-paid-event"
}


def find_deliveries(idempotency_key: str) -> list:
    """GET /api/v1/deliveries?idempotencyKey=: the deliveries a request became."""
    query = urllib.parse.urlencode({"idempotencyKey": idempotency_key})
    request = urllib.request.Request(
        f"{os.environ['HOOKGATE_ADMIN_URL']}/api/v1/deliveries?{query}",
        headers={"Authorization": f"Bearer {os.environ['HOOKGATE_PUBLISHER_KEY']}"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)["items"]


async def main() -> None:
    queue = Queue(
        "outbound-requests",
        {"connection": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"), "prefix": "hookgate"},
    )
    try:
        await queue.add("deliver", DELIVER, JOB_OPTIONS)
        await queue.add("publish", PUBLISH, JOB_OPTIONS)
    finally:
        await queue.close()
    for _ in range(50):  # the dispatcher takes a job within milliseconds while it runs
        found = find_deliveries(DELIVER["idempotencyKey"])
        if found:
            print(found[0]["id"], found[0]["state"])
            return
        await asyncio.sleep(0.1)
    raise SystemExit("no delivery yet: is the dispatcher running? see /api/v1/outbound-request-refusals")


if __name__ == "__main__":
    asyncio.run(main())
