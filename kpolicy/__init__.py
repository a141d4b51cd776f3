"""kpolicy: a Kubernetes manifest linter and policy checker."""

__version__ = "0.1.0"
