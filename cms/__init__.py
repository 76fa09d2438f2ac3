"""A headless CMS for newsrooms: the domain layer (models, services, auth, settings, CLI)."""
