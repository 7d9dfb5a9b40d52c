"""`make bench`: speed targets of the community map at 50,000 households (not a pytest test)."""
