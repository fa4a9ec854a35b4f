"""The options a subcommand documents: in its --help (through the same
scripts/help-options.awk the completion generator uses) and in its man
page source (the *-x*/*--long* terms of man/sockit-SUB.1.scd)."""
import os
import re
import subprocess

from conftest import ROOT, SOCKIT

AWK = os.path.join(ROOT, "scripts", "help-options.awk")
TERM = re.compile(r"\*(--?[A-Za-z0-9][A-Za-z0-9-]*)\*")


def subcommands():
    """The subcommands this binary has: the "commands:" block of --help."""
    out = subprocess.run([SOCKIT, "--help"], capture_output=True, text=True,
                         timeout=20).stdout
    names, on = [], False
    for line in out.splitlines():
        if line.startswith("commands:"):
            on = True
        elif on and re.match(r"^  [a-z]", line):
            names.append(line.split()[0])
        elif on and not line.strip():
            break
    return names


def help_options(sub):
    text = subprocess.run([SOCKIT, sub, "--help"], capture_output=True, text=True,
                          timeout=20).stdout
    r = subprocess.run(["awk", "-f", AWK], input=text, capture_output=True,
                       text=True, timeout=20)
    return {line.split()[0] for line in r.stdout.splitlines() if line.strip()}


def man_source(page):
    return os.path.join(ROOT, "man", f"{page}.scd")


def man_options(page, present=()):
    """Options a page defines: the terms of lines starting with *-.  A
    block between the scdoc comments "; requires: NAME" and "; end" is
    about a subcommand another branch adds (chat's options of serve, say):
    it counts only when NAME is in present, the subcommands built here."""
    opts, skip = set(), False
    with open(man_source(page)) as f:
        for line in f:
            if line.startswith("; requires:"):
                skip = line.split(":", 1)[1].strip() not in present
            elif line.startswith("; end"):
                skip = False
            elif line.startswith("*-") and not skip:
                opts.update(TERM.findall(line))
    return opts
