"""The man pages: every page built from man/*.scd renders without a groff
warning, carries the version of VERSION, and every subcommand the binary
has has a page that documents exactly the options its --help lists."""
import glob
import os
import re
import subprocess

import pytest

from conftest import BUILD, ROOT
from help_options import help_options, man_options, man_source, subcommands
from pkg_util import version

PAGES = sorted(glob.glob(os.path.join(BUILD, "man", "*.[0-9]")))
SUBS = subcommands()


def test_every_source_is_built():
    sources = {os.path.basename(p)[:-4] for p in glob.glob(os.path.join(ROOT, "man", "*.scd"))}
    assert {os.path.basename(p) for p in PAGES} == sources
    for page in ("sockit.1", "sockit.conf.5", "libsockit.3", "sockit-serve.1"):
        assert page in sources


@pytest.mark.parametrize("page", PAGES, ids=os.path.basename)
def test_page_renders_without_warnings(page):
    r = subprocess.run(["groff", "-ww", "-z", "-man", page], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    r = subprocess.run(["groff", "-man", "-Tutf8", page], capture_output=True,
                       text=True, timeout=60)
    text = re.sub(r".\x08", "", r.stdout)   # no overstrike bold
    assert "NAME" in text and f"sockit {version()}" in text


@pytest.mark.parametrize("sub", SUBS)
def test_subcommand_help_and_page_list_the_same_options(sub):
    page = f"sockit-{sub}.1"
    assert os.path.exists(man_source(page)), f"no man/{page}.scd for '{sub}'"
    in_help, in_man = help_options(sub), man_options(page, SUBS, help_options)
    assert in_help, f"sockit {sub} --help lists no options"
    assert in_help - in_man == set(), f"{page} lacks options that --help lists"
    assert in_man - in_help == set(), f"{page} documents options --help does not list"


def test_pages_of_commands_not_in_this_build_are_skipped_not_failed():
    """Pages may be ahead of the binary (a branch not merged yet): each
    page names a subcommand, and the consistency check covers those the
    binary has."""
    pages = {os.path.basename(p)[len("sockit-"):-len(".1.scd")]
             for p in glob.glob(os.path.join(ROOT, "man", "sockit-*.1.scd"))}
    assert set(SUBS) <= pages
