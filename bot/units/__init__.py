"""The unit tree as the engine sees it: the directory built from the units table, with the
names its communes had before the 2025 merger (read from the `vietnamadminunits` package's
offline tables). May import storage and flows.units; nothing imports it but the runtime."""
