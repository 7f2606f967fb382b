"""Siting data: the instance schema and its validation, tables and files, travel costs (dense
and sparse), the synthetic generator and the OR-Library reader."""
