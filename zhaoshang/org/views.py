"""Views of the org app: thin, through selectors, services and restrict()."""
