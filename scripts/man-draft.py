#!/usr/bin/env python3
"""man-draft.py SOCKIT SUB "SUMMARY" > man/sockit-SUB.1.scd — a first draft
of a subcommand's scdoc page from its --help text: SYNOPSIS from the usage
lines, every option as a term with its description, indented blocks as
literal text, the exit status as its own section.  A maintainer tool: edit
the draft; the page, not this script, is the source of truth afterwards
(tests/e2e/test_man.py keeps the two option lists equal)."""
import re
import subprocess
import sys

OPT_LINE = re.compile(r"^ {1,8}-")
TOKEN = re.compile(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*|-[A-Za-z0-9])(?![\w-])")
# An option named in a description (help-options.awk's rule): followed by
# , : ) or /, or after ( or /.
NAMED = re.compile(r"(?:(?<=[(/])(--[a-z0-9][a-z0-9-]*|-[A-Za-z0-9])(?=[ ,:)/;]|$)"
                   r"|(?<=[ (/])(--[a-z0-9][a-z0-9-]*|-[A-Za-z0-9])(?=[,:)/]))")


def esc(text):
    """Escape scdoc's markup characters in plain text."""
    return re.sub(r"([*_\\])", r"\\\1", text).replace("`", "'")


def term(spec):
    """'-c, --config FILE' -> '*-c*, *--config* _FILE_'."""
    out = []
    for tok in re.split(r"(\s+|,|/|=|\[|\])", spec):
        if re.fullmatch(r"--?[A-Za-z0-9][A-Za-z0-9-]*", tok):
            out.append(f"*{tok}*")
        elif re.fullmatch(r"[A-Z][A-Z0-9_|.:]*", tok):
            out.append("_" + tok.replace("_", "\\_") + "_")
        else:
            out.append(esc(tok))
    return "".join(out)


SPEC = re.compile(r"(?:(?:-[A-Za-z0-9]|--[a-z0-9][a-z0-9-]*)"
                  r"(?:[ =][A-Z][A-Z0-9_|.]*(?=\s|,|$)|[ =]\[[A-Z][A-Z0-9_|.]*\](?=\s|,|$))?"
                  r"(?:\s*,\s*|\s*/\s*|\s+(?=-))?)+")


def split_option_line(line):
    """One help line with one or two option columns -> [(spec, desc)]."""
    pairs = []
    for c in re.split(r"\s{2,}", line.strip()):
        m = SPEC.match(c) if c.startswith("-") else None
        if m:
            pairs.append([m.group(0).strip().rstrip(",/").strip(), c[m.end():].strip()])
        elif pairs:
            pairs[-1][1] = (pairs[-1][1] + " " + c).strip()
    return pairs


def draft(sockit, sub, summary):
    text = subprocess.run([sockit, sub, "--help"], capture_output=True, text=True).stdout
    lines = text.rstrip("\n").split("\n")
    out = [f'sockit-{sub}(1) "sockit @VERSION@" "sockit manual"', "", "# NAME", "",
           f"sockit-{sub} - {summary}", "", "# SYNOPSIS", ""]
    i = 0
    syn = []
    while i < len(lines) and (lines[i].startswith("usage:") or lines[i].startswith("       sockit")):
        u = lines[i].split("sockit", 1)[1].strip()
        words = u.split(" ", 1)
        syn.append(f"*sockit {words[0]}* " + (esc(words[1]) if len(words) > 1 else ""))
        i += 1
    out.append(" ++\n".join(s.rstrip() for s in syn))
    out += ["", "# DESCRIPTION", ""]
    exit_status = []
    # Options an option line mentions only in its description (nc's
    # "-u, --udp  UDP; -U, --unix: ...") get a term of their own, so the
    # page lists every option --help does (tests/e2e/test_man.py).
    specs = {t for l in lines if OPT_LINE.match(l)
             for spec, _ in split_option_line(l) for t in TOKEN.findall(spec)}
    in_literal = False
    last_opt = None
    desc_at = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        m = re.match(r"^exit status:\s*", line, re.I)
        if m or exit_status:
            if line.strip():
                exit_status.append(line[m.end():] if m else line.strip())
            else:
                exit_status.append("")
            continue
        if OPT_LINE.match(line):
            if in_literal:
                out.append("```"); in_literal = False
            for spec, desc in split_option_line(line):
                out += ["", term(spec), "\t" + esc(desc)]
                desc_at = len(out) - 1
                for t in (a or b for a, b in NAMED.findall(" " + desc + " ")):
                    if t not in specs:
                        specs.add(t)
                        out += ["", term(t), "\tSee " + term(spec) + "."]
            last_opt = True
            continue
        if last_opt and line.startswith("    ") and line.strip():
            out[desc_at] = (out[desc_at].rstrip() + " " + esc(line.strip())).replace("\t ", "\t")
            continue
        last_opt = False
        if not line.strip():
            if in_literal:
                out.append("```"); in_literal = False
            out.append("")
            continue
        if re.match(r"^[A-Za-z].*:$", line) and len(line) < 40:
            head = line[:-1].upper()
            out += ["", ("# " if head in ("OPTIONS", "EXAMPLES") else "## ") + head, ""]
            continue
        if line.startswith("  "):
            if not in_literal:
                out.append("```"); in_literal = True
            out.append(line)
            continue
        out.append(esc(line))
    if in_literal:
        out.append("```")
    if exit_status:
        out += ["", "# EXIT STATUS", ""] + [esc(l) for l in exit_status]
    out += ["", "# SEE ALSO", "", "*sockit*(1)", ""]
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text)


if __name__ == "__main__":
    sys.stdout.write(draft(*sys.argv[1:4]))
