"""Acting from above on what is due or has happened: call-backs placed, residents told of closes and failures."""
