"""Schemathesis hooks of schemathesis.test.ts (loaded through SCHEMATHESIS_HOOKS).

A "valid request refused" failure (ST202) is dropped only when the request was not valid after all, by a rule the
document states but JSON Schema cannot make a generator follow:

- If-Match: Schemathesis's coverage phase writes header values from letters and digits only, so it cannot write an
  If-Match that matches the documented pattern (an entity tag needs its double quotes), and sends a placeholder such
  as `If-Match: 0` in a case it labels valid. The service refuses it with 400 naming If-Match, as documented.
- Order lines with the same sku: the document says skus are unique within an order (CONTRACT §1); JSON Schema's
  `uniqueItems` compares whole lines, so two lines of one sku with other quantities pass the schema. The service
  refuses them with 400 naming the duplicate.

Every other ST202, and every failure of every other check, still fails the run; the run reports how many it dropped.
"""

import re

import schemathesis


def _if_match_is_documented(case):
    value = next((value for name, value in (case.headers or {}).items() if name.lower() == "if-match"), None)
    if value is None:
        return True
    pattern = case.operation.schema.raw_schema["components"]["parameters"]["IfMatch"]["schema"]["pattern"]
    return re.search(pattern, value) is not None


def _skus_are_unique(case):
    items = case.body.get("items") if isinstance(case.body, dict) else None
    if not isinstance(items, list):
        return True
    skus = [item.get("sku") for item in items if isinstance(item, dict)]
    return len(skus) == len(set(skus))


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if failure.code != "ST202":
        return True
    return _if_match_is_documented(case) and _skus_are_unique(case)
