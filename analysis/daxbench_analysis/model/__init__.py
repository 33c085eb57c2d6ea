"""The model layer: one results folder loaded once into typed objects (run.py), the driver's
registry — mode order, mode parameters, crash verdict rules, case shapes — (registry.py), and
what is derived from them without any format: fio pairs (fio.py), crash cells (crash.py).
It imports only `stats` and `numbers` below it; everything else imports it."""
