"""The sections layer: a report as neutral blocks (blocks.py) built from the model, knowing no
format — the main tables (main.py over groups.py), daxbench vs fio (fio.py), the crash matrix
(crash.py). render/ draws the document in each format."""
