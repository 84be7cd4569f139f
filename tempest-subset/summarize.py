#!/usr/bin/env python3
"""Count a subunit v2 stream: print failed/skipped test names, then exactly
one closing line 'N passed, N failed, N skipped'.

Usage: summarize.py [FILE]   (stdin when no FILE)

Per test id the final status counts: success/xfail -> passed,
skip -> skipped, anything else that started (fail, uxsuccess, a test left
in progress by a crashed worker) -> failed. Class fixtures show up as
'setUpClass (tempest....Class)' entries: a failing one counts as a failure,
a skipped one (skip_checks) as one skip.
"""

import sys

import subunit
import testtools


def main():
    stream = open(sys.argv[1], "rb") if len(sys.argv) > 1 else sys.stdin.buffer
    results = {}

    def on_test(test):
        status = test["status"]
        if status == "exists":  # listed, never started
            return
        results[test["id"]] = (status, test.get("details") or {})

    case = subunit.ByteStreamToStreamResult(stream, non_subunit_name="stdout")
    result = testtools.StreamToDict(on_test)
    result.startTestRun()
    try:
        case.run(result)
    finally:
        result.stopTestRun()

    passed = failed = skipped = 0
    failures, skips = [], []
    for test_id, (status, details) in sorted(results.items()):
        if status in ("success", "xfail"):
            passed += 1
        elif status == "skip":
            skipped += 1
            reason = details.get("reason")
            try:
                text = reason.as_text() if reason is not None else ""
            except Exception:  # noqa: BLE001 - best effort reason
                text = ""
            skips.append((test_id, text.strip()))
        else:
            failed += 1
            failures.append((test_id, status))

    out = sys.stdout
    if skips:
        out.write("skipped:\n")
        for test_id, reason in skips:
            out.write("  %s%s\n" % (test_id, (" (%s)" % reason) if reason
                                    else ""))
    if failures:
        out.write("failed:\n")
        for test_id, status in failures:
            out.write("  %s [%s]\n" % (test_id, status))
    out.write("%d passed, %d failed, %d skipped\n" % (passed, failed, skipped))
    out.flush()


if __name__ == "__main__":
    main()
