"""Template filters of the connected apps pages."""
