"""The static-site build behind `make dist`."""
