"""The portal chat page: Vite sources, the built bundle in dist/ and its small static server."""
