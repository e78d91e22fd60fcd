"""CNN explainability report generator: data -> model -> explanations -> facts -> pages -> site."""

__version__ = "0.1.0"
