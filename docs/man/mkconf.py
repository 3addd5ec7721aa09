#!/usr/bin/python3
"""jumpgate.yaml(5) in scdoc, its OPTIONS made from the key table of docs/configuration.md
(the reference the project keeps), so the manual page and the reference cannot drift.
Usage: mkconf.py configuration.md HEAD.scd OUT.scd (HEAD has the page's other sections and
an @OPTIONS@ line where the keys go)."""
import re
import sys


def scd(text):
    """Markdown cell text as scdoc: `code` bold, the rest escaped."""
    out = []
    for i, part in enumerate(re.split(r"`([^`]*)`", text)):
        esc = part.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")
        out.append(f"*{esc}*" if i % 2 and esc else esc)
    return "".join(out).replace("\\|", "|")


def rows(md):
    for line in md.splitlines():
        m = re.match(r"^\| `([^`]+)` \| (.*?) \| (.*) \|$", line)
        if m:
            yield m.group(1), m.group(2), m.group(3)


def main():
    md, head, out = sys.argv[1:4]
    items = []
    for key, default, meaning in rows(open(md).read()):
        items.append(f"*{scd(key)}* (default: {scd(default)})\n\t{scd(meaning)}\n")
    if len(items) < 20:
        sys.exit(f"{md}: the key table was not found")
    text = open(head).read().replace("@OPTIONS@\n", "\n".join(items))
    with open(out, "w") as f:
        f.write(text)


main()
