"""One module per constraint family, each with one documented ``add_*`` function."""
