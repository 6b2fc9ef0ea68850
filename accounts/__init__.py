"""People who sign in to the portal, and the Authlete subject each one maps to."""
