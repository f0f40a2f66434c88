"""Sync: read national data files through declarative TOML mappings into standard records."""
