"""Interview engines: ``guided`` (deterministic, default) and ``llm`` (a chat model), behind one interface."""
