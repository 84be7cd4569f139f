#!/usr/bin/env python3
"""Turn tempest-subset list files into stestr regex list files.

Usage: to_regex.py FILE... > out.txt

Input lines:
  - blank lines and lines starting with '#' are ignored; a trailing
    '  # comment' after an entry is stripped (used for exclusion reasons);
  - a full test id with its idempotent-id suffix,
      tempest.api.x.Class.test_name[id-UUID]
    becomes an anchored regex matching that test whatever other attributes
    follow the id in the real test name (e.g. '[id-UUID,smoke]');
  - anything else is passed through unchanged as a regex (stestr syntax).
"""

import re
import sys

ID_LINE = re.compile(r"^(?P<name>[\w.]+)\[(?P<id>id-[0-9a-fA-F-]+)[^\]]*\]$")


def convert(line):
    line = re.sub(r"\s+#.*$", "", line).strip()
    if not line or line.startswith("#"):
        return None
    m = ID_LINE.match(line)
    if m:
        return "^%s\\[%s[,\\]]" % (re.escape(m.group("name")),
                                    re.escape(m.group("id")))
    return line


def main():
    for path in sys.argv[1:]:
        with open(path) as f:
            for raw in f:
                out = convert(raw)
                if out:
                    print(out)


if __name__ == "__main__":
    main()
