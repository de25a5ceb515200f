"""The access policy: who may read, download, see the metadata of, or change a thing.

Import it as a module (`from app.access import policy`); it sits below every domain and imports none.
"""
