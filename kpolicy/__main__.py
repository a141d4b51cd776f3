import os
import sys

# `python -m kpolicy` puts the working folder first on sys.path, and a linted repository is
# often that folder: its tzdata.py (or any module kpolicy imports late, in this process or in
# a worker, which inherits sys.path) would run. kpolicy itself is imported already, and its
# modules are found through the package.
if sys.path and sys.path[0] and os.path.abspath(sys.path[0]) == os.getcwd():
    del sys.path[0]

from kpolicy.entry import command  # (after sys.path is made safe)

command()
