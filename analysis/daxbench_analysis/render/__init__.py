"""The render layer: one renderer per output format, each drawing the same document of blocks
(sections/) — report.txt (text.py), report.md (markdown.py), report.tex (latex.py),
and compare's reply.txt/.md/.tex the same way."""
