"""recipes.py: the README's recipes (docs/recipes/*.recipe), which the
e2e tests run as written, and what they check of the files they make."""

import grp
import os
import pwd

SRCDIR = os.path.abspath(os.environ.get("AR_SRCDIR") or
                         os.path.join(os.path.dirname(__file__), "..", ".."))


def recipe(name):
    """The text of docs/recipes/NAME."""
    with open(os.path.join(SRCDIR, "docs", "recipes", name)) as f:
        return f.read()


def readme_shows(text):
    """Whether the README shows text verbatim, as an indented block."""
    with open(os.path.join(SRCDIR, "README")) as f:
        readme = f.read()
    return "".join("    " + l if l.strip() else l for l in text.splitlines(True)) in readme


def mode(path):
    """(oct mode, owner, group) of path."""
    st = os.stat(path)
    return oct(st.st_mode & 0o7777), pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name
