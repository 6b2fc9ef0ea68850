"""Connected apps: what a person has let into their account, and taking it back."""
