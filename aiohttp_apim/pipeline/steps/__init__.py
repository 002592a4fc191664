"""One step class per policy element (see ``base`` for what a step is)."""
