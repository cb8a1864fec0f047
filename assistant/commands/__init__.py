"""Command groups of the ``smm`` CLI; each module has a ``register(app)`` function."""
