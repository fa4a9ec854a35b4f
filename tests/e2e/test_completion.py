"""Shell completion: the generated bash script is sourced in a real bash
(with bash-completion when installed) and asked what it completes for a
command line, the way readline calls it (COMP_WORDS split at the
characters of COMP_WORDBREAKS, such as ':'); the zsh script is checked
by zsh itself and holds the same tables."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT
from help_options import help_options, subcommands

BASH_SCRIPT = os.path.join(BUILD, "completion", "sockit")
ZSH_SCRIPT = os.path.join(BUILD, "completion", "_sockit")
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"

DRIVER = r'''
[ -r "$BASH_COMPLETION" ] && [ -n "$WITH_BC" ] && . "$BASH_COMPLETION"
. "$SCRIPT"
# The words as readline splits the line: ':' is a word of its own.
read -r -a COMP_WORDS <<< "$(printf '%s' "$LINE" | sed 's/:/ : /g; s/ : \/\// :\/\//g')"
[[ $LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$LINE
COMP_POINT=${#LINE}
_sockit sockit "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''


def complete(line, with_bc=True, cwd=None):
    """What `sockit` completes for line (the cursor at its end)."""
    env = dict(os.environ, SCRIPT=BASH_SCRIPT, LINE=line,
               BASH_COMPLETION=BASH_COMPLETION, WITH_BC="1" if with_bc else "")
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", DRIVER], env=env,
                       capture_output=True, text=True, timeout=30, cwd=cwd)
    assert r.returncode == 0, r.stderr
    return sorted(w for w in r.stdout.split("\n") if w)


def test_subcommands():
    assert complete("sockit s") == ["scan", "serve", "sockets"]
    assert set(subcommands()) <= set(complete("sockit "))
    assert "--version" in complete("sockit --")
    assert complete("sockit help sc") == ["scan"]


def test_services_after_serve():
    services = complete("sockit serve ")
    for s in ("echo", "greet", "caesar", "discard", "daytime", "qotd", "chargen", "time"):
        assert s in services
    assert complete("sockit serve --threads 2 e") == ["echo"]
    # After the service come endpoints.
    assert complete("sockit serve echo t") == ["tcp://"]


def test_endpoint_schemes():
    assert complete("sockit echo ") == ["tcp://", "udp://", "unix:", "unixgram:"]
    assert complete("sockit echo u") == ["udp://", "unix:", "unixgram:"]
    assert complete("sockit scan --ports 22 t") == ["tcp://"]


@pytest.mark.skipif(not os.path.exists(BASH_COMPLETION), reason="bash-completion not installed")
def test_unix_paths_complete_after_the_scheme(tmp_path):
    (tmp_path / "echo.sock").write_text("")
    (tmp_path / "other").write_text("")
    got = complete(f"sockit echo unix:{tmp_path}/ec")
    # bash-completion trims the part before the last ':' (readline's word).
    assert got == [f"{tmp_path}/echo.sock"]


def test_options_and_their_values(tmp_path):
    assert complete("sockit serve --max-") == ["--max-conn", "--max-queue", "--max-request"]
    (tmp_path / "sockit.conf").write_text("")
    assert complete(f"sockit serve -c {tmp_path}/so") == [f"{tmp_path}/sockit.conf"]
    assert complete("sockit sockets --state es") == ["established"]
    assert complete("sockit sockets --state syn-") == ["syn-recv", "syn-sent"]
    assert complete("sockit sockets --sort r") == ["recvq"]
    assert complete("sockit sockets --sp") == ["--sport"]


def test_sockets_filter_expression_words():
    assert complete("sockit sockets -t st") == ["state"]
    assert complete("sockit sockets state li") == ["listening"]
    assert complete("sockit sockets -t state established d") == ["dport", "dst"]


def test_without_bash_completion_installed():
    assert complete("sockit serve e", with_bc=False) == ["echo"]
    assert complete("sockit scan --ba", with_bc=False) == ["--banner", "--banner-timeout"]


@pytest.mark.parametrize("sub", subcommands())
def test_every_option_of_every_subcommand(sub):
    got = set(complete(f"sockit {sub} -"))
    assert got == help_options(sub)


# zsh: the completion function runs outside a widget, with compadd and the
# helpers it calls replaced by functions that print their candidates
# (zsh's own prefix matching is not applied: every candidate is listed).
ZSH_DRIVER = r'''
compadd() {
	local a rest=0 skip=0
	for a in "$@"; do
		if (( rest )); then print -r -- $a; continue; fi
		if (( skip )); then skip=0; continue; fi
		case $a in
		--) rest=1 ;;
		-S|-P|-J|-X) skip=1 ;;
		-*) ;;
		*) print -r -- $a ;;
		esac
	done
}
_files() { print -r -- "<files>" }
_users() { print -r -- "<users>" }
compset() { PREFIX=${PREFIX#*:} }
words=(${=LINE})
[[ $LINE == *" " ]] && words+=("")
CURRENT=${#words}
PREFIX=${words[CURRENT]}
source $SCRIPT
'''


def zsh_candidates(line):
    r = subprocess.run(["zsh", "-f", "-c", ZSH_DRIVER], capture_output=True, text=True,
                       timeout=30, env=dict(os.environ, LINE=line, SCRIPT=ZSH_SCRIPT))
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh not installed")
def test_zsh_candidates():
    assert set(subcommands()) | {"help", "--help", "--version"} == zsh_candidates("sockit s")
    assert "chargen" in zsh_candidates("sockit serve --threads 2 ")
    assert zsh_candidates("sockit serve -c ") == {"<files>"}
    assert zsh_candidates("sockit serve echo ") == {"tcp://", "udp://", "unix:", "unixgram:"}
    assert "established" in zsh_candidates("sockit sockets --state ")
    assert "dport" in zsh_candidates("sockit sockets -t ")
    for sub in subcommands():
        assert zsh_candidates(f"sockit {sub} -") == help_options(sub), sub


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh not installed")
def test_zsh_script_parses_and_has_the_same_tables():
    r = subprocess.run(["zsh", "-n", ZSH_SCRIPT], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    zsh = open(ZSH_SCRIPT).read()
    bash = open(BASH_SCRIPT).read()
    assert zsh.startswith("#compdef sockit\n")
    tables = lambda s: sorted(l for l in s.splitlines() if re.match(r"^_sockit_\w+='", l))
    assert tables(zsh) and set(tables(zsh)) <= set(tables(bash))
