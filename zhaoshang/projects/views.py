"""Views of the projects app: thin, through selectors, services and restrict()."""
