"""Load tests of the app: see loadtest/load.py."""
