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


def man_options(page, present=(), help_of=None):
    """Options a page defines: the terms of lines starting with *-.  A
    block between the scdoc comments "; requires: KEY" and "; end" is
    about work another branch adds, and counts only in a tree that has it:
    KEY "chat" when the chat subcommand is in present (the subcommands
    built here), KEY "sockets -K" when help_of("sockets") lists -K."""
    opts, skip = set(), False
    with open(man_source(page)) as f:
        for line in f:
            if line.startswith("; requires:"):
                key = line.split(":", 1)[1].split()
                if len(key) == 1:
                    skip = key[0] not in present
                else:
                    skip = key[0] not in present or help_of is None or \
                        key[1] not in help_of(key[0])
            elif line.startswith("; end"):
                skip = False
            elif line.startswith("*-") and not skip:
                opts.update(TERM.findall(line))
    return opts
