"""The language server: the lint pipeline on the open buffers of an editor.

This package is the only place with 0-based positions (LSP lines and UTF-16 code units, or
whichever encoding the client negotiates); everything it gets from the pipeline is 1-based with
columns in Unicode code points, and :mod:`kpolicy.lsp.positions` converts between the two.

- :mod:`kpolicy.lsp.project`: the workspace model (config, the manifests on disk, the open
  buffers) and what is asked of it: diagnostics, hovers, code actions. No pygls.
- :mod:`kpolicy.lsp.server`: the pygls glue: handlers, debouncing, publishing, logging.
"""
