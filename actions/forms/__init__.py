"""Form validation actions: a shared base and one module per form."""
