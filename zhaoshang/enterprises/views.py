"""Views of the enterprises app: thin, through selectors, services and restrict()."""
