"""csom-conformance: conformance and interop suite for SharePoint CSOM protocols."""

__version__ = "0.1.0"
