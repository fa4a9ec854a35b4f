#!/usr/bin/env python3
"""scan_check.py — count wrong results of a port scan against the truth.

  scan_check.py sockit|nmap OUTPUT --ports LO-HI --open P,P,...
                [--filtered A-B,...] [--closed-also A-B,...]

OUTPUT is `sockit scan --json [--all]` output, or nmap's `-oX -` output.
Every port in LO-HI should be open if listed in --open (and not inside a
filtered range), filtered if inside a --filtered range, closed otherwise.
Prints the number of wrong ports, then up to five examples.
"""
import argparse
import json
import sys
import xml.etree.ElementTree as ET


def ranges(text):
    out = set()
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def sockit_states(text):
    """Without --all only open ports are listed: the others count as closed
    when the summary says that every port was scanned and none filtered
    went unlisted."""
    got, summary = {}, None
    for line in text.splitlines():
        obj = json.loads(line)
        if obj["type"] == "port":
            got[obj["port"]] = obj["state"]
        else:
            summary = obj
    listed_filtered = sum(1 for v in got.values() if v == "filtered")
    rest = None
    if summary and summary["filtered"] == listed_filtered and \
            summary["scanned"] == summary["ports"] * summary["hosts"]:
        rest = "closed"
    return got, rest


def nmap_states(text):
    """nmap -oX: listed <port>s, plus the port ranges that <extrareasons>
    gives for the states nmap summarised."""
    root = ET.fromstring(text)
    got = {}
    for ex in root.iter("extraports"):
        for reason in ex.iter("extrareasons"):
            for port in ranges(reason.get("ports", "")):
                got[port] = ex.get("state")
    for port in root.iter("port"):
        got[int(port.get("portid"))] = port.find("state").get("state")
    return got, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["sockit", "nmap"])
    ap.add_argument("output")
    ap.add_argument("--ports", required=True)
    ap.add_argument("--open", default="")
    ap.add_argument("--filtered", default="")
    a = ap.parse_args()
    text = open(a.output).read()
    got, ignored = (sockit_states if a.kind == "sockit" else nmap_states)(text)
    opened, filtered = ranges(a.open), ranges(a.filtered)
    wrong = []
    for port in sorted(ranges(a.ports)):
        want = ("filtered" if port in filtered else
                "open" if port in opened else "closed")
        have = got.get(port, ignored)
        if have != want:
            wrong.append(f"{port}:{have}!={want}")
    print(len(wrong), " ".join(wrong[:5]))


if __name__ == "__main__":
    sys.exit(main())
