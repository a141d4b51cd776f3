"""``python -m kpolicy.lsp``: the language server over stdio (as ``kpolicy lsp``)."""

from kpolicy.lsp.server import main

main()
