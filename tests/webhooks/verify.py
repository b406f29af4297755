"""Verifies Voxanne's webhook requests with the Standard Webhooks reference library (PyPI
`standardwebhooks`), so our signer is checked by someone else's code.

Reads JSON on stdin: {"secret": "whsec_…", "cases": [{"headers": {…}, "body": "…"}, …]}
and prints one JSON list: for each case, "ok" or the name of the exception `verify` raised.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook


def main() -> None:
    request = json.load(sys.stdin)
    verifier = Webhook(request["secret"])
    results = []
    for case in request["cases"]:
        try:
            verifier.verify(case["body"], case["headers"])
            results.append("ok")
        except Exception as err:  # the library's WebhookVerificationError, or anything else
            results.append(type(err).__name__ + ": " + str(err))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
